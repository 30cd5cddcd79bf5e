"""Consistent hashing: runiso_core vs the peers, same workload, one process.

    nice python bench/peers_hashing.py [--repeat 3] [--quick]

Workload: ``workloads.hashing_stream()`` (1M lookups, Zipf(1.0) over 100k URLs,
seed 1; 80,729 distinct keys as in peers.md) as ``/product/<id>`` strings. Weights
1,2,3,4,1,2,... (sum 23 for 10 nodes, 250 for 100) as in peers.md. Peers:
uhashring 2.x (``hash_fn="ketama"``), jump-consistent-hash (+ xxhash for string
keys, + a weight table for weights), and a hand-written numpy jump for batches.
Every rate is the best of ``--repeat`` passes over the keys (the machine is
shared and noisy; best-of is the least noisy estimator), and ratios compare
numbers measured in this same run.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads  # noqa: E402

from runiso_core import JumpHash, KetamaRing, MaglevTable, RendezvousHash, hash64_many  # noqa: E402

try:
    import uhashring
except ImportError:  # pragma: no cover
    uhashring = None
try:
    import jump
except ImportError:  # pragma: no cover
    jump = None
try:
    import xxhash
except ImportError:  # pragma: no cover
    xxhash = None


def best_rate(fn, n_keys: int, repeat: int) -> float:
    """Best keys/second of ``repeat`` calls of ``fn`` (each processes n_keys)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return n_keys / best


def per_call(f, keys):
    def run():
        for k in keys:
            f(k)
    return run


def numpy_jump(keys: np.ndarray, n: int) -> np.ndarray:
    """Jump over a uint64 array with numpy (lock-step lanes; same arithmetic as jump.c)."""
    key = keys.copy()
    b = np.full(len(keys), -1, dtype=np.int64)
    j = np.zeros(len(keys), dtype=np.int64)
    active = j < n
    while active.any():
        idx = np.flatnonzero(active)
        b[idx] = j[idx]
        key[idx] = key[idx] * np.uint64(2862933555777941757) + np.uint64(1)
        j[idx] = ((b[idx] + 1).astype(np.float64)
                  * (float(1 << 31) / ((key[idx] >> np.uint64(33)) + np.uint64(1)).astype(np.float64))
                  ).astype(np.int64)
        active = j < n
    return b.astype(np.int32)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="200k keys instead of 1M")
    args = ap.parse_args()

    ids = workloads.hashing_stream()
    fp = workloads.fingerprint(ids)
    if args.quick:
        ids = ids[:200_000]
    keys = workloads.url_keys(ids)
    n = len(keys)
    hashed = hash64_many(keys)
    hashed_list = hashed.tolist()
    keys_s = np.array(keys, dtype="S")
    top = np.bincount(ids.astype(np.int64)).max() / len(ids)
    print(f"workload: hashing_stream() sha256 {fp}, {n:,} lookups, {len(set(ids.tolist())):,} distinct "
          f"keys, top key {top:.1%} (peers.md: 1M, 80,729 distinct, top 8.3 %); best of {args.repeat}")
    rows = []  # (case, nodes, ours M/s, peer name, peer M/s)

    def add(case, nn, ours, peer_name=None, peer=None):
        rows.append((case, nn, ours / 1e6, peer_name, None if peer is None else peer / 1e6))

    r = args.repeat
    for nn in (10, 100):
        names = [f"node-{i:03d}" for i in range(nn)]
        weights = {name: 1 + i % 4 for i, name in enumerate(names)}
        wtable = [name for name in names for _ in range(weights[name])]  # jump + weight table

        ket = KetamaRing(weights)
        mag = MaglevTable(weights)
        rdv = RendezvousHash(weights)
        jh = JumpHash(names)
        ket_pts = ket._hash_keys(keys)

        peer_ket = None
        if uhashring is not None:
            peer_ket = uhashring.HashRing(dict(sorted(weights.items())), hash_fn="ketama")
            assert [ket.nodes[i] for i in ket.lookup_many(keys[:100_000])] == \
                [peer_ket.get_node(k) for k in keys[:100_000]], "ketama placement differs from uhashring"
            pk = best_rate(per_call(peer_ket.get_node, keys), n, r)
        else:
            pk = None
        add("ketama lookup(str) per call", nn, best_rate(per_call(ket.lookup, keys), n, r),
            "uhashring ketama get_node", pk)
        add("ketama lookup_many(list[str])", nn, best_rate(lambda: ket.lookup_many(keys), n, r),
            "uhashring ketama get_node", pk)
        add("ketama lookup_many(S array)", nn, best_rate(lambda: ket.lookup_many(keys_s), n, r),
            "uhashring ketama get_node", pk)
        add("ketama lookup_many(points)", nn, best_rate(lambda: ket.lookup_many(ket_pts), n, r))

        if jump is not None and xxhash is not None:
            xx = xxhash.xxh64_intdigest
            jh_hash = jump.hash
            assert [jh.nodes[i] for i in jh.lookup_many(keys[:100_000])] == \
                [names[jh_hash(xx(k.encode()), nn)] for k in keys[:100_000]], "jump placement differs"
            pj = best_rate(per_call(lambda k: names[jh_hash(xx(k.encode()), nn)], keys), n, r)
            pw = best_rate(per_call(lambda k: wtable[jh_hash(xx(k.encode()), len(wtable))], keys), n, r)
            pint = best_rate(per_call(lambda h: jh_hash(h, nn), hashed_list), n, r)
            assert np.array_equal(numpy_jump(hashed[:100_000], nn), jh.lookup_many(hashed[:100_000]))
            pnp = best_rate(lambda: numpy_jump(hashed, nn), n, max(1, r - 1))
        else:
            pj = pw = pint = pnp = None
        add("jump lookup(str) per call", nn, best_rate(per_call(jh.lookup, keys), n, r),
            "names[jump.hash(xxh64(k.encode()), n)]", pj)
        add("jump lookup(int) per call", nn, best_rate(per_call(jh.lookup, hashed_list), n, r),
            "jump.hash(h, n)", pint)
        add("jump lookup_many(uint64)", nn, best_rate(lambda: jh.lookup_many(hashed), n, r),
            "numpy jump (hand-written)", pnp)
        add("jump lookup_many(list[str])", nn, best_rate(lambda: jh.lookup_many(keys), n, r),
            "names[jump.hash(xxh64(k.encode()), n)]", pj)
        add("maglev lookup(str) per call", nn, best_rate(per_call(mag.lookup, keys), n, r),
            "jump+xxh64+weight table", pw)
        add("maglev lookup(int) per call", nn, best_rate(per_call(mag.lookup, hashed_list), n, r),
            "jump.hash(h, n)", pint)
        add("maglev lookup_many(uint64)", nn, best_rate(lambda: mag.lookup_many(hashed), n, r),
            "numpy jump (hand-written)", pnp)
        add("maglev lookup_many(list[str])", nn, best_rate(lambda: mag.lookup_many(keys), n, r),
            "jump+xxh64+weight table", pw)
        add("maglev lookup_many(S array)", nn, best_rate(lambda: mag.lookup_many(keys_s), n, r),
            "jump+xxh64+weight table", pw)
        add("rendezvous lookup(str) per call", nn,
            best_rate(per_call(rdv.lookup, keys[: n // 5]), n // 5, r), "jump+xxh64+weight table", pw)
        add("rendezvous lookup_many(uint64)", nn, best_rate(lambda: rdv.lookup_many(hashed), n, r),
            "numpy jump (hand-written)", pnp)

    print()
    print(f"{'case':34} {'nodes':>5} {'ours M/s':>9}  {'peer':32} {'peer M/s':>8} {'ours/peer':>9}")
    for case, nn, ours, peer_name, peer in rows:
        ratio = f"{ours / peer:8.1f}x" if peer else ""
        peer_s = f"{peer:8.2f}" if peer else ""
        print(f"{case:34} {nn:5d} {ours:9.2f}  {(peer_name or '-'):32} {peer_s:>8} {ratio:>9}")

    # ---- build time
    print()
    print(f"{'build (weighted)':34} {'nodes':>5} {'ours ms':>9}  {'peer':32} {'peer ms':>8} {'peer/ours':>9}")
    for nn in (10, 100, 1000):
        weights = {f"node-{i:03d}": 1 + i % 4 for i in range(nn)}
        for cls in (KetamaRing, MaglevTable, RendezvousHash):
            t = min(_timed(lambda: cls(weights)) for _ in range(3))
            peer_t = None
            if cls is KetamaRing and uhashring is not None and nn <= 100:
                peer_t = min(_timed(lambda: uhashring.HashRing(weights, hash_fn="ketama")) for _ in range(3))
            ratio = f"{peer_t / t:8.1f}x" if peer_t else ""
            print(f"{cls.__name__:34} {nn:5d} {t * 1e3:9.3f}  {('uhashring ketama' if peer_t else '-'):32} "
                  f"{(f'{peer_t * 1e3:8.2f}' if peer_t else ''):>8} {ratio:>9}")

    # ---- quality over the distinct keys
    distinct = workloads.url_keys(np.unique(ids))
    dh = hash64_many(distinct)
    print()
    print(f"quality over {len(distinct):,} distinct keys, 10 equal nodes (remove node-004) "
          f"and 10 weighted nodes (1,2,3,4,1,...):")
    print(f"{'algorithm':26} {'max/mean':>8} {'moved':>7} {'only its keys':>13} {'worst |share/exp-1|':>20}")
    names = [f"node-{i:03d}" for i in range(10)]
    weights = {name: 1 + i % 4 for i, name in enumerate(names)}
    for label, build, kk in [("KetamaRing", KetamaRing, distinct), ("MaglevTable", MaglevTable, dh),
                             ("RendezvousHash", RendezvousHash, dh), ("JumpHash (remove last)", JumpHash, dh)]:
        full = build(names)
        gone = names[-1] if build is JumpHash else "node-004"
        less = full.without_node(gone)
        before = np.array(full.nodes)[full.lookup_many(kk)]
        after = np.array(less.nodes)[less.lookup_many(kk)]
        counts = np.bincount(full.lookup_many(kk), minlength=10)
        moved = before != after
        only = bool((moved == (before == gone)).all())
        if build is JumpHash:
            share = ""
        else:
            w = build(weights)
            c = np.bincount(w.lookup_many(kk), minlength=10)
            exp = np.array(w.weights) / sum(w.weights) * len(kk)
            share = f"{np.abs(c / exp - 1).max() * 100:.1f} %"
        print(f"{label:26} {counts.max() / counts.mean():8.3f} {moved.mean():7.3f} {str(only):>13} {share:>20}")
    if uhashring is not None:
        peer = uhashring.HashRing(names, hash_fn="ketama")
        c = np.bincount([names.index(peer.get_node(k)) for k in distinct], minlength=10)
        print(f"{'uhashring ketama (peer)':26} {c.max() / c.mean():8.3f}")


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
