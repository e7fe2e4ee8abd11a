#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 90 s for the readers, 60 s for the value
# parsers), each on its committed corpus (minimised with `cargo fuzz cmin`, inputs under 16 KB)
# plus the test fixtures as seeds. Needs a nightly toolchain and cargo-fuzz; not part of CI.
# Findings land in fuzz/artifacts/<target>/.
# Usage: fuzz/run-all.sh [seconds-per-reader] [seconds-per-parser]
set -uo pipefail
cd "$(dirname "$0")"
readers=${1:-90}
parsers=${2:-60}
cargo +nightly fuzz build -O || exit 1
for target in read_xlsx read_xls read_ods read_csv; do
  mkdir -p "corpus/$target"
  # New inputs go to the first folder; the fixtures are read as extra seeds.
  cargo +nightly fuzz run -O "$target" "corpus/$target" ../tests/fixtures/formats \
    ../tests/fixtures/broken ../tests/fixtures/regressions -- -max_total_time="$readers" \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
  echo "$target: exit $?"
done
for target in read_mt940 read_html; do
  mkdir -p "corpus/$target"
  cargo +nightly fuzz run -O "$target" "corpus/$target" ../tests/fixtures/statements \
    ../tests/fixtures/formats -- -max_total_time="$readers" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1
  echo "$target: exit $?"
done
mkdir -p corpus/read_unified
cargo +nightly fuzz run -O read_unified corpus/read_unified ../tests/fixtures/unified/*/ \
  -- -max_total_time="$readers" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
echo "read_unified: exit $?"
for target in read_camt read_ofx; do
  mkdir -p "corpus/$target"
  cargo +nightly fuzz run -O "$target" "corpus/$target" ../tests/fixtures/statements \
    -- -max_total_time="$readers" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
  echo "$target: exit $?"
done
for target in parse_date parse_amount scan_memo; do
  mkdir -p "corpus/$target"
  cargo +nightly fuzz run -O "$target" "corpus/$target" -- -max_total_time="$parsers" \
    -rss_limit_mb=2048 -timeout=10 -max_len=256 -print_final_stats=1
  echo "$target: exit $?"
done
