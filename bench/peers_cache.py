"""runiso_core caches next to their peers, in one process (ratios are what count).

1. Per-call get-or-set from Python on peers.md's LRU stream (2M requests,
   Zipf(1.0) over 1M int keys, capacity 10,000): functools.lru_cache, an
   OrderedDict LRU, lru-dict, cachetools vs LRUCache.access / access_fast / get+put.
2. access_many replay of the same 2M uint64 keys (LRU, SIEVE, S3-FIFO) vs
   libcachesim's C trace replay (oracleGeneral file), with miss ratios.
3. Miss ratios, ours vs libcachesim, on real traces from ../shared/traces.
4. ``runiso cache sim`` end to end (CSV parse included) vs libcachesim's CSV reader.

Usage: ``nice python bench/peers_cache.py [--reps 3] [--traces DIR] [--quick]``.
libcachesim is optional (``pip install libcachesim``); without it the script
prints "libcachesim not installed" and shows our numbers only.
"""
from __future__ import annotations

import argparse
import csv
import functools
import pathlib
import statistics
import sys
import tempfile
import time
from collections import OrderedDict

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import workloads  # noqa: E402

from runiso_core import LRUCache, S3FIFOCache, SieveCache, hash64_many  # noqa: E402

try:
    import libcachesim as lcs
except ImportError:  # pragma: no cover - optional heavy peer
    lcs = None

CAP = 10_000
POLICIES = [("LRU", LRUCache, "LRU"), ("SIEVE", SieveCache, "Sieve"), ("S3-FIFO", S3FIFOCache, "S3FIFO")]


def best_rate(fn, n, reps):
    """Median requests/s over `reps` runs of fn() (fn returns its own elapsed seconds)."""
    times = [fn() for _ in range(reps)]
    return n / statistics.median(times)


# --------------------------------------------------------------------------- 1
def per_call(keys, reps):
    n = len(keys)
    res = {}
    hits = {}

    def functools_run():
        f = functools.lru_cache(maxsize=CAP)(lambda k: k)
        t = time.perf_counter()
        for k in keys:
            f(k)
        dt = time.perf_counter() - t
        hits["functools.lru_cache (C)"] = f.cache_info().hits
        return dt

    def ordered_run():
        d = OrderedDict()
        move, pop = d.move_to_end, d.popitem
        h = 0
        t = time.perf_counter()
        for k in keys:
            if k in d:
                move(k)
                h += 1
            else:
                d[k] = k
                if len(d) > CAP:
                    pop(last=False)
        dt = time.perf_counter() - t
        hits["OrderedDict LRU"] = h
        return dt

    def lrudict_run():
        from lru import LRU
        d = LRU(CAP)
        get = d.get
        t = time.perf_counter()
        for k in keys:
            if get(k) is None:
                d[k] = k
        dt = time.perf_counter() - t
        hits["lru-dict LRU (C)"] = d.get_stats()[0]
        return dt

    def cachetools_run():
        import cachetools
        c = cachetools.LRUCache(CAP)
        h = 0
        t = time.perf_counter()
        for k in keys:
            try:
                c[k]
                h += 1
            except KeyError:
                c[k] = k
        dt = time.perf_counter() - t
        hits["cachetools LRUCache"] = h
        return dt

    def ours_access():
        c = LRUCache(max_entries=CAP)
        acc = c.access
        t = time.perf_counter()
        for k in keys:
            acc(k)
        dt = time.perf_counter() - t
        hits["runiso LRUCache.access(k)"] = c.stats.hits
        return dt

    def ours_fast():
        c = LRUCache(max_entries=CAP)
        acc = c.access_fast
        t = time.perf_counter()
        for k in keys:
            acc(k)
        dt = time.perf_counter() - t
        hits["runiso LRUCache.access_fast(k)"] = c.stats.hits
        return dt

    def ours_proxy():
        c = LRUCache(max_entries=CAP)
        get, put = c.get, c.put
        t = time.perf_counter()
        for k in keys:
            if get(k) is None:
                put(k, k)
        dt = time.perf_counter() - t
        hits["runiso LRUCache.get/put (proxy)"] = c.stats.hits
        return dt

    cases = [("functools.lru_cache (C)", functools_run), ("OrderedDict LRU", ordered_run),
             ("lru-dict LRU (C)", lrudict_run), ("cachetools LRUCache", cachetools_run),
             ("runiso LRUCache.access(k)", ours_access), ("runiso LRUCache.access_fast(k)", ours_fast),
             ("runiso LRUCache.get/put (proxy)", ours_proxy)]
    for name, fn in cases:
        try:
            res[name] = best_rate(fn, n, reps)
        except ImportError:
            print(f"  ({name}: not installed)")
    return res, hits


# --------------------------------------------------------------------------- 2
def write_oracle(path, keys, sizes=None):
    """libCacheSim oracleGeneral: 24-byte records <IQIq (time, obj_id, size, next_access_vtime)."""
    n = len(keys)
    rec = np.zeros(n, dtype=np.dtype([("t", "<u4"), ("id", "<u8"), ("size", "<u4"), ("next", "<i8")]))
    rec["t"] = 0
    rec["id"] = keys
    rec["size"] = 1 if sizes is None else sizes
    rec["next"] = -1
    rec.tofile(path)


def lcs_replay(path, policy, cap):
    """(miss ratio, byte miss ratio, seconds incl. reader + cache setup), as peers.md measured."""
    t = time.perf_counter()
    reader = lcs.TraceReader(str(path), lcs.TraceType.ORACLE_GENERAL_TRACE)
    cache = getattr(lcs, policy)(cap)
    mr, bmr = cache.process_trace(reader)
    return mr, bmr, time.perf_counter() - t


def replay(keys, reps, tmpdir):
    arr = np.ascontiguousarray(keys, dtype=np.uint64)
    rows = []
    path = None
    if lcs is not None:
        path = pathlib.Path(tmpdir) / "zipf.oracleGeneral.bin"
        write_oracle(path, arr)
    for name, cls, lname in POLICIES:
        out = {}

        def ours():
            c = cls(max_entries=CAP)
            t = time.perf_counter()
            h = c.access_many(arr)
            dt = time.perf_counter() - t
            out["miss"] = 1.0 - h.mean()
            return dt

        rate = best_rate(ours, arr.size, reps)
        lrate = lmiss = None
        if path is not None:
            ts = []
            for _ in range(reps):
                lmiss, _, dt = lcs_replay(path, lname, CAP)
                ts.append(dt)
            lrate = arr.size / statistics.median(ts)
        rows.append((name, rate, out["miss"], lrate, lmiss))
    return rows


# --------------------------------------------------------------------------- 3
def load_traces(root: pathlib.Path, quick: bool):
    """name -> (uint64 keys, int64 sizes or None)."""
    out = {}
    p = root / "libcachesim-cloudphysics" / "cloudPhysicsIO.csv"
    if p.exists():
        with open(p) as f:
            rows = list(csv.DictReader(f))
        out["cloudphysics"] = (np.array([int(r["lbn"]) for r in rows], dtype=np.uint64),
                               np.array([int(r["size"]) for r in rows], dtype=np.int64))
    for name, fn in [("cache2k-web12", "cache2k-web/web12-trace-mt-20121220.trc.bin"),
                     ("cache2k-web07", "cache2k-web/web07-trace-mt-20130703.trc.bin"),
                     ("cache2k-orm-busy", "cache2k-orm/orm-busy-trace-mt-db-20160419-busy.trc.bin")]:
        p = root / fn
        if p.exists() and not (quick and "orm" in name):
            out[name] = (np.fromfile(p, dtype=">i4").astype(np.int64).view(np.uint64).copy(), None)
    p = root / "scarab-recs" / "scarab-recs.trace.bin"
    if p.exists() and not quick:
        out["scarab-recs"] = (np.fromfile(p, dtype=">i8").astype(np.int64).view(np.uint64).copy(), None)
    p = root / "tencent-photo-cdn-sample" / "cloud_photos-sample.txt"
    if p.exists():
        keys, sizes = [], []
        with open(p) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 5:
                    keys.append(f"{parts[1]}/{parts[2]}/{parts[3]}")
                    sizes.append(max(1, int(parts[4])))
        out["tencent-photo"] = (hash64_many(keys), np.array(sizes, dtype=np.int64))
    return out


def miss_table(traces, tmpdir):
    rows = []
    for tname, (keys, sizes) in traces.items():
        distinct = len(np.unique(keys))
        cases = [(f"{frac:.0%} objs", max(10, int(distinct * frac)), None) for frac in (0.01, 0.1)]
        if sizes is not None:
            uniq, first, inv = np.unique(keys, return_index=True, return_inverse=True)
            total = int(sizes[first].sum())          # bytes of the distinct objects
            # a hit keeps the stored size (resize_on_hit=False, what `cache sim` uses) as
            # libcachesim does; cachetools' rule (resize on hit) differs by a few 1e-3
            cases.append(("10% bytes", max(1, total // 10), sizes))
            cases.append(("10% bytes, resize on hit", max(1, total // 10), sizes))
            cases.append(("10% bytes, 1st size/key", max(1, total // 10), sizes[first][inv.ravel()]))
        path = None
        if lcs is not None:
            path = pathlib.Path(tmpdir) / f"{tname}.bin"
            write_oracle(path, keys, None)
            if sizes is not None:
                spaths = {}
                for label, _, sz in cases:
                    if sz is not None:
                        spaths[label] = pathlib.Path(tmpdir) / f"{tname}.{len(spaths)}.bin"
                        write_oracle(spaths[label], keys, np.minimum(sz, 2**32 - 1))
        for label, cap, sz in cases:
            for name, cls, lname in POLICIES:
                kw = {"capacity_bytes": cap} if sz is not None else {"max_entries": cap}
                c = cls(**kw, resize_on_hit="resize on hit" in label)
                ours = 1.0 - c.access_many(keys, sizes=sz).mean()
                theirs = None
                if path is not None:
                    theirs = lcs_replay(spaths[label] if sz is not None else path, lname, cap)[0]
                rows.append((tname, label, cap, name, ours, theirs))
    return rows


# --------------------------------------------------------------------------- 4
def cli_end_to_end(root: pathlib.Path, reps: int):
    """``runiso cache sim`` on the CloudPhysics CSV (parse + working set + 3 policies x 2
    capacities) vs libcachesim reading the same CSV with its own reader, one pass per
    cache as its cachesim does per thread (serial here). Returns (ours s, theirs s, rows)."""
    import json

    from click.testing import CliRunner

    from runiso_core.cli import main as cli
    path = root / "libcachesim-cloudphysics" / "cloudPhysicsIO.csv"
    if not path.exists():
        return None
    caps = (490, 4897)                      # 1 % and 10 % of its 48,974 objects

    def ours():
        t = time.perf_counter()
        r = CliRunner().invoke(cli, ["cache", "sim", str(path), *[f"-c{c}" for c in caps], "--json"])
        dt = time.perf_counter() - t
        return dt, {(x["policy"], x["bound"]): x["miss_ratio"] for x in json.loads(r.stdout)["results"]}

    def theirs():
        t = time.perf_counter()
        out = {}
        for pol, lname in (("lru", "LRU"), ("sieve", "Sieve"), ("s3fifo", "S3FIFO")):
            for cap in caps:
                prm = lcs.ReaderInitParam(has_header=True, has_header_set=True, delimiter=",",
                                          ignore_obj_size=True)
                prm.time_field, prm.obj_id_field, prm.obj_size_field = 2, 5, 4
                rd = lcs.TraceReader(str(path), lcs.TraceType.CSV_TRACE, prm)
                out[(pol, cap)] = getattr(lcs, lname)(cap).process_trace(rd)[0]
        return time.perf_counter() - t, out

    a, b = [], []
    for _ in range(reps):
        da, ra = ours()
        a.append(da)
        if lcs is not None:
            db, rb = theirs()
            b.append(db)
    rows = [(k, ra[k], rb[k] if b else None) for k in sorted(ra)]
    return statistics.median(a), (statistics.median(b) if b else None), rows


def _default_traces() -> pathlib.Path:
    """The nearest ``shared/traces`` beside the checkout or one of its parents."""
    for parent in pathlib.Path(__file__).resolve().parents:
        cand = parent / "shared" / "traces"
        if cand.is_dir():
            return cand
    return pathlib.Path("../shared/traces")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--traces", default=str(_default_traces()))
    ap.add_argument("--quick", action="store_true", help="skip the 5M/1.2M-request traces")
    ap.add_argument("--skip-per-call", action="store_true")
    args = ap.parse_args(argv)
    if lcs is None:
        print("libcachesim not installed (pip install libcachesim): peer columns left empty")
    ids = workloads.lru_stream(1.0)
    print(f"stream lru α=1.0: {len(ids):,} requests, sha256 {workloads.fingerprint(ids)}")

    if not args.skip_per_call:
        print("\n## 1. Per-call get-or-set from Python, capacity 10,000 (median of", args.reps, "runs)\n")
        rates, hits = per_call(ids.tolist(), args.reps)
        base = rates.get("functools.lru_cache (C)")
        print("| cache | M req/s | hits | ours / this |")
        print("|---|---:|---:|---:|")
        ours = rates.get("runiso LRUCache.access_fast(k)")
        for name, r in rates.items():
            ratio = "" if name.startswith("runiso") else f"{ours / r:.2f}x"
            print(f"| {name} | {r / 1e6:.2f} | {hits[name]:,} | {ratio} |")
        if base:
            print(f"\naccess(k) / functools = {rates['runiso LRUCache.access(k)'] / base:.2f}x, "
                  f"access_fast(k) / functools = {ours / base:.2f}x")

    with tempfile.TemporaryDirectory() as tmp:
        print("\n## 2. Batch replay of the 2M uint64 keys, capacity 10,000\n")
        print("| policy | ours M req/s | ours miss | libcachesim C replay M req/s | libcachesim miss | speed ratio |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, rate, miss, lrate, lmiss in replay(ids, args.reps, tmp):
            lr = f"{lrate / 1e6:.2f}" if lrate else "—"
            lm = f"{lmiss:.4f}" if lmiss is not None else "—"
            ratio = f"{rate / lrate:.1f}x" if lrate else "—"
            print(f"| {name} | {rate / 1e6:.1f} | {miss:.4f} | {lr} | {lm} | {ratio} |")

        root = pathlib.Path(args.traces)
        traces = load_traces(root, args.quick) if root.exists() else {}
        if traces:
            print("\n## 3. Miss ratios on real traces (ours vs libcachesim)\n")
            print("| trace | capacity | policy | ours | libcachesim | diff |")
            print("|---|---|---|---:|---:|---:|")
            for tname, label, cap, pol, ours, theirs in miss_table(traces, tmp):
                t = f"{theirs:.4f}" if theirs is not None else "—"
                d = f"{ours - theirs:+.4f}" if theirs is not None else "—"
                print(f"| {tname} | {label} ({cap:,}) | {pol} | {ours:.4f} | {t} | {d} |")
        else:
            print(f"\n(no traces under {root})")

    res = cli_end_to_end(pathlib.Path(args.traces), args.reps)
    if res:
        a, b, rows = res
        print("\n## 4. `runiso cache sim` end to end on cloudPhysicsIO.csv (113,872 requests; "
              "parse + working set + 3 policies x 2 capacities)\n")
        print(f"runiso cache sim: {a:.3f} s; libcachesim CSV reader + process_trace per cache: "
              + (f"{b:.3f} s; ratio {b / a:.1f}x" if b else "—"))
        print("\n| policy | capacity | ours | libcachesim |")
        print("|---|---:|---:|---:|")
        for (pol, cap), o, t in rows:
            print(f"| {pol} | {cap:,} | {o:.6f} | {t:.6f} |" if t is not None else
                  f"| {pol} | {cap:,} | {o:.6f} | — |")


if __name__ == "__main__":
    main()
