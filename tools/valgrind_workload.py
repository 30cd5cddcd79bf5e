"""Workload for tools/valgrind.sh: every core's per-call and batch paths and a
parse of every trace format, small enough to run under memcheck in about a
minute. Each section also checks per-call == batch, so a path that silently
stopped running would fail here rather than pass as "clean".

Run directly (``python tools/valgrind_workload.py``) to check it outside
valgrind; it prints one line per section.
"""
import bz2
import gzip
import io
import lzma
import os
import sys
import tempfile

import numpy as np

import runiso_core as rc
from runiso_core import read_trace
from runiso_core._parse import concat_fields
from runiso_core.trace import TruncatedInputError, iter_trace, parse_bytes

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data")
RNG = np.random.default_rng(7)
# Zipf-ish keys: hits, misses and evictions all happen in the caches below.
KEYS = (RNG.zipf(1.2, 3000) % 500).astype(np.uint64)
STR_KEYS = [f"/product/{int(k)}" for k in KEYS[:500]]
TIMES = np.cumsum(RNG.exponential(0.01, len(KEYS)))


def section(name):
    print(f"valgrind workload: {name}", flush=True)


def caches():
    for cls in (rc.LRUCache, rc.SieveCache, rc.S3FIFOCache):
        # simulator mode, TTLs and byte sizes on so expiry and size paths run
        sizes = (KEYS % 7 + 1).astype(np.int64)
        one = cls(capacity_bytes=400, default_ttl=5.0)
        per = [one.access(int(k), int(s), now=float(t)) for k, s, t in zip(KEYS, sizes, TIMES)]
        many = cls(capacity_bytes=400, default_ttl=5.0)
        got = many.access_many(KEYS, sizes, TIMES)
        assert got.tolist() == per, cls.__name__
        many.access_many(STR_KEYS, times=np.full(len(STR_KEYS), TIMES[-1]))
        many.expire(TIMES[-1] + 10)
        fast = cls(max_entries=50)
        for k in KEYS[:500]:
            fast.access_fast(int(k))
        # proxy mode: Python values stored, replaced, evicted (callback), popped
        evicted = []
        p = cls(max_entries=64, on_evict=lambda k, v: evicted.append(k))
        for i, k in enumerate(STR_KEYS):
            p.put(k, [i], size=1 + i % 3)
            p.get(STR_KEYS[i // 2])
            if i % 5 == 0:
                p.pop(STR_KEYS[i // 3], None)
        p[b"bytes-key"] = "v"
        p.setdefault(12345, "int-key")
        p.update({"u1": 1, "u2": 2})
        items = p.items()
        while len(p) > 10:
            p.popitem()
        del p[next(iter(p))]
        p.clear()
        assert evicted and items, cls.__name__
        _ = many.stats, p.stats, many.memory_bytes(), p.memory_bytes()


def hashing():
    nodes = {f"cache-{i}": 1 + i % 3 for i in range(7)}
    tables = [rc.KetamaRing({n: int(w) for n, w in nodes.items()}), rc.MaglevTable(nodes, table_size=1009),
              rc.RendezvousHash(nodes), rc.JumpHash(list(nodes))]
    batches = [(STR_KEYS, STR_KEYS), (KEYS[:500], [int(k) for k in KEYS[:500]]),
               (np.array(STR_KEYS), STR_KEYS), (np.array(STR_KEYS, dtype="S"), [k.encode() for k in STR_KEYS]),
               (np.array(STR_KEYS, dtype=object), STR_KEYS)]
    for t in tables:
        for batch, keys in batches:
            idx = t.lookup_many(batch)
            assert [t.nodes[i] for i in idx] == [t.lookup(k) for k in keys], type(t).__name__
        t2 = t.without_node("cache-6").with_node("cache-9")
        assert t2 != t
    h = rc.hash64_many(STR_KEYS, 3)
    assert h.tolist() == [rc.hash64(k, 3) for k in STR_KEYS]
    assert rc.hash64_many(np.array(STR_KEYS, dtype="S")).tolist() == [rc.hash64(k.encode()) for k in STR_KEYS]
    rc.hash64(memoryview(b"abc")), rc.hash64(bytearray(b"abc"))


def admission():
    tb1, tb2 = rc.TokenBucket(50, 10), rc.TokenBucket(50, 10)
    per = [tb1.try_acquire(float(t)) for t in TIMES]
    assert tb2.try_acquire_many(TIMES).tolist() == per
    tb1.tokens(TIMES[-1]), tb1.time_until(TIMES[-1], 3)
    kb1, kb2 = rc.KeyedTokenBuckets(5, 3, max_keys=64), rc.KeyedTokenBuckets(5, 3, max_keys=64)
    per = [kb1.try_acquire(int(k), float(t)) for k, t in zip(KEYS, TIMES)]
    assert kb2.try_acquire_many(KEYS, TIMES).tolist() == per
    kb2.try_acquire_many(STR_KEYS, TIMES[:len(STR_KEYS)], np.full(len(STR_KEYS), 2))
    kb1.time_until("x", TIMES[-1]), kb1.stats
    cfg = dict(new_sessions_rate=20, new_sessions_burst=5, max_active_sessions=40, idle_timeout=0.5,
               shed_ttl=0.2, max_tracked=100)
    g1, g2 = rc.SessionGate(**cfg), rc.SessionGate(**cfg)
    prio = (KEYS % 11 == 0)
    per = [int(g1.decide(int(k), float(t), priority=bool(p))) for k, t, p in zip(KEYS, TIMES, prio)]
    assert g2.decide_many(KEYS, TIMES, prio).tolist() == per
    g2.decide_many(STR_KEYS, TIMES[:len(STR_KEYS)] + TIMES[-1])
    g1.active_sessions(TIMES[-1]), g1.stats


def balance():
    topo = rc.Topology.from_dict({"sites": [
        {"name": f"pa{s}", "share": s, "backends": [
            {"name": f"pa{s}-web{i}", "weight": 1 + i % 3, "capacity_rps": 200.0} for i in range(4)]}
        for s in (1, 2, 3)]})
    sites = (KEYS % 3).astype(np.int32)
    for kw in ({"policy": "wrr"}, {"policy": "p2c", "seed": 3}, {"policy": "hash", "balance_factor": 1.25},
               {"policy": "hash", "hash_algorithm": "ketama"}, {"spill_on_capacity": True}):
        a, b = rc.SiteBalancer(topo, **kw), rc.SiteBalancer(topo, **kw)
        a.set_backend_up("pa1-web0", False), b.set_backend_up("pa1-web0", False)
        per = [a.pick(int(s), key=int(k), now=float(t)) for s, k, t in zip(sites, KEYS, TIMES)]
        assert b.pick_many(sites, KEYS, TIMES).tolist() == per, kw
        for i in per[:50]:
            if i >= 0:
                a.release(i)
        a.set_site_up("pa2", False)
        a.pick_many(["pa1", "pa3"] * 50, STR_KEYS[:100], TIMES[:100] + TIMES[-1])
        _ = a.stats, a.in_flight()
    rc.capacity_report(topo, 500.0)


def parse(tmp):
    nasa = open(os.path.join(DATA, "nasa_aug95_prefix.log"), "rb").read()
    ref = read_trace(io.BufferedReader(io.BytesIO(nasa)))
    # clf, with the string columns, chunked (carry-over between blocks)
    t = read_trace(os.path.join(DATA, "apache_combined_3000.log"), with_strings=True)
    chunks = list(iter_trace(os.path.join(DATA, "apache_combined_3000.log"), chunk_size=777,
                             with_strings=True))
    assert sum(len(c) for c in chunks) == len(t) == 3000 and t.url[5] and t.user_agent[5]
    hap = ('10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 '
           '- - ---- 1/1/1/1/0 0/0 {1wt.eu|Mozilla} {} "GET /index.html HTTP/1.1"\n')
    samples = {
        "haproxy": (hap * 300 + "garbage\n").encode(),
        "plain": b"".join(b"%d.5 /k/%d %d\n" % (i, i % 37, i) for i in range(300)) + b"x y\n",
        "keys": b"".join(b"%d %d\n" % (i % 50, i) for i in range(300)) + b"/a/b\n",
        "csv": b"ts,url,bytes,ip,cookie,status,method,region\n" + b"".join(
            b'2024-03-01T10:00:%02dZ,"/a,""%d""",%d,1.1.1.%d,s%d,200,GET,eu\n' % (i % 60, i, i, i % 9, i % 5)
            for i in range(300)),
        "tsv": b"time\tkey\tsize\n" + b"".join(b"%d\t%d\t1\n" % (i, i % 40) for i in range(300)),
    }
    for fmt, data in samples.items():
        t = parse_bytes(data, format=fmt, with_strings=fmt not in ("tsv", "keys"))
        assert len(t) >= 300 and t.format == fmt, fmt
    for name, fmt in (("cloudphysics_head5000.csv", "csv"), ("tencent_photo_head500.txt", "tencent"),
                      ("cache2k_web12_head20000.trc.bin", "int32be"),
                      ("scarab_recs_head20000.trace.bin", "int64be"), ("nasa_aug95_prefix.log", "clf")):
        t = read_trace(os.path.join(DATA, name), with_strings="url" if fmt == "tencent" else False)
        assert t.format == fmt and len(t) > 0, name
    np.save(os.path.join(tmp, "k.npy"), KEYS.astype(np.int64))
    assert read_trace(os.path.join(tmp, "k.npy")).format == "npy"
    # compressed inputs (and a cut gzip kept with allow_truncated)
    for suffix, comp in (("gz", gzip.compress), ("bz2", bz2.compress), ("xz", lzma.compress)):
        path = os.path.join(tmp, "nasa.log." + suffix)
        with open(path, "wb") as f:
            f.write(comp(nasa))
        assert np.array_equal(read_trace(path).key, ref.key), suffix
    try:
        import zstandard
        z = zstandard.ZstdCompressor().compress(nasa)
        assert np.array_equal(read_trace(io.BufferedReader(io.BytesIO(z))).key, ref.key)
    except ImportError:
        pass
    cut = os.path.join(tmp, "cut.gz")
    with open(cut, "wb") as f:
        f.write(gzip.compress(nasa)[:-3000])
    try:
        read_trace(cut)
        raise AssertionError("a cut gzip parsed whole")
    except TruncatedInputError:
        pass
    assert 0 < len(read_trace(cut, allow_truncated=True)) < len(ref)
    assert concat_fields([(b"abcd", np.array([0, 1, 2, 4]))], np.array([[0], [2]])) == b"acd"


def main():
    with tempfile.TemporaryDirectory() as tmp:
        for name, fn in (("caches", caches), ("hashing", hashing), ("admission", admission),
                         ("balance", balance), ("parse", lambda: parse(tmp))):
            section(name)
            fn()
    print("valgrind workload: done", flush=True)


if __name__ == "__main__":
    sys.exit(main())
