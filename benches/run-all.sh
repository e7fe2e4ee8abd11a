#!/bin/sh
# Reproduces the figures of BENCHMARKS.md. Usage: benches/run-all.sh SCALE_IN_THOUSANDS [REPEATS]
# e.g. benches/run-all.sh 1000 3  (1,000,000 invoices and payments, 100,000 clients)
# Needs: cargo build --release --bin arrears --example generate --example floor; a venv with
# pandas and openpyxl at $PEER_PY (default /tmp/perf-venv/bin/python).
set -eu
K=${1:-200}; R=${2:-1}
N=$((K * 1000)); C=$((K * 100)); W=${WORK:-/tmp/perf}
PY=${PEER_PY:-/tmp/perf-venv/bin/python}
BIN=./target/release
T="/usr/bin/time -f %e_wall_s,%U_user_s,%S_sys_s,%M_maxrss_kb"
uptime
for fmt in csv xlsx; do
  D=$W/$fmt$K
  [ -f "$D/arrears.toml" ] || $BIN/examples/generate --clients $C --invoices $N --payments $N \
      --seed 7 --format $fmt --as-of 2026-11-30 --out "$D" > "$D.expected" 2>&1
  for jobs in 2 1; do
    i=0; while [ $i -lt "$R" ]; do i=$((i + 1))
      echo "== tool $fmt$K jobs=$jobs run $i"
      $T $BIN/arrears run "$D" --as-of 2026-11-30 --out "$W/out-$fmt$K-j$jobs" --force --quiet --jobs $jobs
      python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['timings_ms'])" "$W/out-$fmt$K-j$jobs/2026-11-30/run.json"
    done
  done
  echo "== floor $fmt$K"
  $T $BIN/examples/floor --run "$W/out-$fmt$K-j2/2026-11-30" "$D/invoices.$fmt" "$D/payments.$fmt" "$D/clients.$fmt"
  echo "== peer $fmt$K"
  $T "$PY" benches/peer/aging.py "$D" 2026-11-30 || true
done
uptime
