#!/usr/bin/env python3
r"""Runs a command N times and reports each run's peak resident memory, and when it came.

    python3 benches/peak.py 20 ./target/release/arrears run /tmp/perf/gm1m \
        --as-of 2026-11-30 --out /tmp/perf/peak --force --quiet --jobs 2

`/usr/bin/time` gives the peak only; this reads `/proc/PID/statm` every 3 ms, so a run whose
peak comes earlier than usual (BENCHMARKS.md, "the 1M peak's occasional jump") shows it.
Prints one line per run (peak KiB, seconds into the run, wall seconds), then how many runs
went over 1 GiB.
"""
import os
import subprocess
import sys
import time

GIB_KIB = 1 << 20


def one_run(command):
    page_kib = os.sysconf("SC_PAGE_SIZE") // 1024
    started = time.monotonic()
    process = subprocess.Popen(command)
    peak, peak_at = 0, 0.0
    with open(f"/proc/{process.pid}/statm") as statm:
        while process.poll() is None:
            try:
                statm.seek(0)
                resident = int(statm.read().split()[1]) * page_kib
            except (OSError, IndexError, ValueError):
                break
            if resident > peak:
                peak, peak_at = resident, time.monotonic() - started
            time.sleep(0.003)
    process.wait()
    if process.returncode != 0:
        sys.exit(f"run failed with exit code {process.returncode}")
    return peak, peak_at, time.monotonic() - started


def main():
    if len(sys.argv) < 3 or not sys.argv[1].isdigit():
        sys.exit(__doc__)
    runs, command = int(sys.argv[1]), sys.argv[2:]
    over = 0
    for n in range(1, runs + 1):
        peak, peak_at, wall = one_run(command)
        over += peak > GIB_KIB
        print(f"run {n}: peak {peak} KiB at {peak_at:.2f} s of {wall:.2f} s", flush=True)
    print(f"{over} of {runs} runs over 1 GiB ({GIB_KIB} KiB)")


if __name__ == "__main__":
    main()
