"""Run the peer comparisons side by side in one process and print their ratio tables.

Usage: ``python bench/peers.py [AREA ...]`` where AREA is one of the
``bench/peers_<area>.py`` scripts (hashing, admission, cache, balance, parse).
With no argument every area runs. Each area script exposes ``main()``.
"""
from __future__ import annotations

import importlib
import pathlib
import platform
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent


def areas() -> list[str]:
    return sorted(p.stem.removeprefix("peers_") for p in HERE.glob("peers_*.py"))


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(HERE))
    wanted = argv or areas()
    unknown = sorted(set(wanted) - set(areas()))
    if unknown:
        print(f"unknown area(s): {', '.join(unknown)}; choose from {', '.join(areas())}", file=sys.stderr)
        return 2
    print(f"# runiso_core peer comparison — Python {platform.python_version()}, {platform.machine()}")
    for area in wanted:
        print(f"\n## {area}\n", flush=True)
        t0 = time.perf_counter()
        saved, sys.argv = sys.argv, [str(HERE / f"peers_{area}.py")]  # area scripts parse their own argv
        try:
            importlib.import_module(f"peers_{area}").main()
        finally:
            sys.argv = saved
        print(f"\n({area}: {time.perf_counter() - t0:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
