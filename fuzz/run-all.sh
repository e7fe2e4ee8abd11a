#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 90 s for the readers, 60 s for the value
# parsers), each on its committed corpus (minimised with `cargo fuzz cmin`, inputs under 16 KB)
# plus the test fixtures as seeds. Needs cargo-fuzz (`cargo install cargo-fuzz --locked`) and
# the stable toolchain; not part of CI. Findings land in fuzz/artifacts/<target>/.
# Usage: fuzz/run-all.sh [seconds-per-reader] [seconds-per-parser]
# FUZZ_TARGET_DIR sets where the instrumented build goes (default fuzz/target); FUZZ_SANITIZER
# picks the sanitizer (default address; `none` is faster and still finds panics and hangs).
# The runs so far and what they found: fuzz/README.md.
set -uo pipefail
cd "$(dirname "$0")"
readers=${1:-90}
parsers=${2:-60}
# cargo-fuzz passes nightly-only flags (-Zsanitizer=..., -Cpasses=sancov-module, ...).
# RUSTC_BOOTSTRAP=1 makes the stable compiler accept them, so no nightly toolchain is needed;
# it applies to this script's builds only.
export RUSTC_BOOTSTRAP=1
flags=(-O --sanitizer "${FUZZ_SANITIZER:-address}")
if [ -n "${FUZZ_TARGET_DIR:-}" ]; then flags+=(--target-dir "$FUZZ_TARGET_DIR"); fi
limits=(-rss_limit_mb=2048 -timeout=10 -print_final_stats=1)
cargo fuzz build "${flags[@]}" || exit 1
for target in read_xlsx read_xls read_ods read_csv; do
  mkdir -p "corpus/$target"
  # New inputs go to the first folder; the fixtures are read as extra seeds.
  cargo fuzz run "${flags[@]}" "$target" "corpus/$target" ../tests/fixtures/formats \
    ../tests/fixtures/broken ../tests/fixtures/regressions -- -max_total_time="$readers" \
    "${limits[@]}"
  echo "$target: exit $?"
done
for target in read_mt940 read_html; do
  mkdir -p "corpus/$target"
  cargo fuzz run "${flags[@]}" "$target" "corpus/$target" ../tests/fixtures/statements \
    ../tests/fixtures/formats -- -max_total_time="$readers" "${limits[@]}"
  echo "$target: exit $?"
done
mkdir -p corpus/read_unified
# The target reads `BKMVDATA.TXT`, a NUL, then its `INI.TXT`; the corpus holds such pairs made
# from the fixtures, which are longer than the longest single fixture, hence -max_len.
cargo fuzz run "${flags[@]}" read_unified corpus/read_unified ../tests/fixtures/unified/*/ \
  -- -max_total_time="$readers" "${limits[@]}" -max_len=16384
echo "read_unified: exit $?"
for target in read_camt read_ofx; do
  mkdir -p "corpus/$target"
  cargo fuzz run "${flags[@]}" "$target" "corpus/$target" ../tests/fixtures/statements \
    -- -max_total_time="$readers" "${limits[@]}"
  echo "$target: exit $?"
done
for target in parse_date parse_amount scan_memo; do
  mkdir -p "corpus/$target"
  cargo fuzz run "${flags[@]}" "$target" "corpus/$target" -- -max_total_time="$parsers" \
    "${limits[@]}" -max_len=256
  echo "$target: exit $?"
done
