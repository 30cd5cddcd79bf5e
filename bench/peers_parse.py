"""Combined Log Format parsing: runiso_core vs pure-Python parsers, same run.

Usage:  nice python bench/peers_parse.py [--lines 2000000] [--rss-lines 10000000]

Workload: ``runiso trace synth`` output (seed 1), written once to /tmp. Ours
parses the whole uncompressed file with ``iter_trace`` (1M-row chunks, one
core); the baselines parse a prefix of it line by line:

- ``regex reference``: ``runiso_core._parse_py`` (one compiled regex per line,
  calendar.timegm, hash64) -- "a pure-Python regex parser written the usual way";
- ``apachelogs`` (PyPI ``apachelogs``, LogParser(COMBINED)), if installed.

A second row of ours reads the same file gzip-compressed (stdlib gzip; MB/s of
the uncompressed text).

Then a subprocess parses a ``--rss-lines`` file and reports its peak RSS growth
over the RSS after imports (Linux VmHWM, reset after imports via clear_refs).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from runiso_core import iter_trace
from runiso_core import _parse_py
from runiso_core.synth import write_synth


def synth_file(n: int) -> str:
    path = f"/tmp/runiso_bench_synth_{n}.log"
    if not os.path.exists(path):
        with open(path + ".tmp", "wb") as f:
            write_synth(f, n, seed=1)
        os.replace(path + ".tmp", path)
    return path


def best_of(fn, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def ours(path: str) -> int:
    return sum(len(c) for c in iter_trace(path, format="clf"))


RSS_SCRIPT = r"""
import sys
from runiso_core import iter_trace

def hwm_kb():
    # Linux keeps ru_maxrss across exec (the parent's peak would leak in), so
    # reset the high-water mark (clear_refs 5) and read VmHWM instead.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
base = hwm_kb()
n = 0
for c in iter_trace(sys.argv[1], format="clf"):
    n += len(c)
print(n, base, hwm_kb())
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=2_000_000)
    ap.add_argument("--baseline-lines", type=int, default=100_000)
    ap.add_argument("--rss-lines", type=int, default=10_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    path = synth_file(args.lines)
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        prefix = b"".join(f.readline() for _ in range(args.baseline_lines))
    lines = prefix.splitlines()
    assert ours(path) == args.lines
    t_ours = best_of(lambda: ours(path), args.rounds)
    rows = [("runiso_core iter_trace (C)", args.lines / t_ours, size / t_ours / 1e6)]
    gz = path + ".gz"
    if not os.path.exists(gz):
        subprocess.run(f"gzip -1 -c {path} > {gz}.tmp && mv {gz}.tmp {gz}", shell=True,
                       check=True)
    t_gz = best_of(lambda: ours(gz), 1)
    rows.append(("runiso_core iter_trace, gzip -1 input", args.lines / t_gz, size / t_gz / 1e6))

    def ref():
        rows_, bad, _, _ = _parse_py.parse_lines(prefix, "clf")
        assert not bad
    t_ref = best_of(ref, 1)
    rows.append(("regex reference (_parse_py)", len(lines) / t_ref, len(prefix) / t_ref / 1e6))
    try:
        import apachelogs
    except ImportError:
        print("apachelogs: not installed (pip install apachelogs)")
    else:
        parser = apachelogs.LogParser(apachelogs.COMBINED)
        text = [ln.decode() for ln in lines]

        def peer():
            for ln in text:
                e = parser.parse(ln)
                e.request_time  # the timestamp is parsed lazily-free: touch the fields
                e.request_line
        t_peer = best_of(peer, 1)
        rows.append(("apachelogs LogParser(COMBINED)", len(lines) / t_peer,
                     len(prefix) / t_peer / 1e6))

    print(f"\nCombined Log Format, {args.lines:,} synth lines ({size / 1e6:,.0f} MB); "
          f"baselines on the first {len(lines):,} lines\n")
    print("| parser | lines/s | MB/s | ours / this |")
    print("|---|---:|---:|---:|")
    for name, lps, mbs in rows:
        print(f"| {name} | {lps:,.0f} | {mbs:,.1f} | {rows[0][1] / lps:,.1f}x |")

    if args.rss_lines:
        big = synth_file(args.rss_lines)
        out = subprocess.run([sys.executable, "-c", RSS_SCRIPT, big], capture_output=True,
                             text=True, check=True).stdout.split()
        n, base, peak = (int(x) for x in out[-3:])
        print(f"\nRSS: {n:,} lines ({os.path.getsize(big) / 1e6:,.0f} MB) parsed in 1M-row "
              f"chunks: RSS after imports {base / 1024:,.0f} MB, peak {peak / 1024:,.0f} MB, "
              f"growth {(peak - base) / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
