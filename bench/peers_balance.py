"""Site balancer vs peers, same workload, same process: speed ratios and balance quality.

    nice python bench/peers_balance.py            # everything (about a minute)
    nice python bench/peers_balance.py --quick    # fewer requests / smaller simulation

No PyPI package does site-aware weighted balancing (peers.md §5), so the peers
are what a Python proxy would otherwise run: a hand-written NGINX smooth WRR, a
plain ``itertools.cycle`` WRR, ``random.choices``, a hand-written P2C, uhashring's
ketama ring (``get_node``) and our own pure-Python reference; for batches,
numpy's weighted ``Generator.choice``. Topology: 1 site x 10 backends, weights
1,2,3,1,2,3,... for per-call; 3 sites x 10 for batches. Keys: the peers.md
hashing stream (Zipf 1.0 over 100k URLs, seed 1).

Then a balls-into-bins simulation of max/mean in-flight for one random choice,
power of two choices (our p2c) and round robin (our wrr), against the classic
asymptotics ln n / ln ln n (one choice) and ln ln n / ln 2 (two choices).
"""
from __future__ import annotations

import argparse
import itertools
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import workloads  # noqa: E402

from runiso_core import SiteBalancer, Topology, capacity_report, hash64_many  # noqa: E402
from runiso_core._balance_py import SiteBalancerPy  # noqa: E402

WEIGHTS = [1 + i % 3 for i in range(10)]


def topo(n_sites: int, n_backends: int = 10, weights=None) -> Topology:
    ws = weights or [1 + i % 3 for i in range(n_backends)]
    return Topology.from_dict({"sites": [
        {"name": f"pa{s + 1}", "backends": [{"name": f"pa{s + 1}-web-{i:05d}", "weight": w}
                                            for i, w in enumerate(ws)]} for s in range(n_sites)]})


def best_rate(fn, n: int, reps: int = 3) -> float:
    best = math.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return n / best


# ---- hand-written peers -------------------------------------------------------------------------
class PySmoothWRR:
    """NGINX smooth weighted round-robin as a Python proxy would write it."""

    def __init__(self, names, weights):
        self.names, self.w, self.cur = list(names), list(weights), [0] * len(weights)
        self.total = sum(weights)

    def pick(self):
        cur, w = self.cur, self.w
        best = 0
        for i in range(len(w)):
            cur[i] += w[i]
            if cur[i] > cur[best]:
                best = i
        cur[best] -= self.total
        return self.names[best]


class PyP2C:
    """Power of two choices on in-flight counts (Envoy score w / (active + 1))."""

    def __init__(self, weights, seed=0):
        self.w, self.act, self.rng = list(weights), [0] * len(weights), random.Random(seed)

    def pick(self):
        i, j = self.rng.sample(range(len(self.w)), 2)
        if self.w[j] * (self.act[i] + 1) > self.w[i] * (self.act[j] + 1):
            i = j
        self.act[i] += 1
        return i


def speed_table(n: int) -> list[tuple[str, str, float, float]]:
    rows = []
    t1 = topo(1)
    urls = workloads.url_keys(workloads.hashing_stream()[:n])
    names = t1.backend_names

    def ours(policy, **kw):
        sb = SiteBalancer(t1, policy=policy, **kw)
        pick = sb.pick
        if policy == "hash":
            return lambda: [pick(0, key=u) for u in urls]
        return lambda: [pick(0) for _ in range(n)]

    def ref(policy):
        sb = SiteBalancerPy(t1, policy=policy)
        if policy == "hash":
            return lambda: [sb.pick(0, key=u) for u in urls]
        return lambda: [sb.pick(0) for _ in range(n)]

    r_wrr = best_rate(ours("wrr"), n)
    smooth = PySmoothWRR(names, WEIGHTS)
    cyc = itertools.cycle([nm for nm, w in zip(names, WEIGHTS) for _ in range(w)])
    rows.append(("wrr pick", "hand-written smooth WRR (Python)", r_wrr, best_rate(lambda: [smooth.pick() for _ in range(n)], n)))
    rows.append(("wrr pick", "itertools.cycle WRR (not smooth)", r_wrr, best_rate(lambda: [next(cyc) for _ in range(n)], n)))
    rows.append(("wrr pick", "random.choices(weights)", r_wrr,
                 best_rate(lambda: [random.choices(names, WEIGHTS)[0] for _ in range(n)], n)))
    rows.append(("wrr pick", "runiso reference (Python)", r_wrr, best_rate(ref("wrr"), n, reps=1)))
    r_p2c = best_rate(ours("p2c", inflight_window=None), n)
    p2c = PyP2C(WEIGHTS)
    rows.append(("p2c pick", "hand-written P2C (Python)", r_p2c, best_rate(lambda: [p2c.pick() for _ in range(n)], n)))
    rows.append(("p2c pick", "runiso reference (Python)", r_p2c, best_rate(ref("p2c"), n, reps=1)))
    r_hash = best_rate(ours("hash"), n)
    try:
        from uhashring import HashRing
        ring = HashRing(nodes={nm: {"weight": w} for nm, w in zip(names, WEIGHTS)}, hash_fn="ketama")
        rows.append(("hash pick (str key)", "uhashring ketama get_node", r_hash,
                     best_rate(lambda: [ring.get_node(u) for u in urls], n)))
    except ImportError:
        print("uhashring not installed: skipping its row")
    rows.append(("hash pick (str key)", "runiso reference (Python)", r_hash, best_rate(ref("hash"), n, reps=1)))
    return rows


def batch_table(n: int) -> list[tuple[str, str, float, float]]:
    t3 = topo(3)
    rng = np.random.default_rng(5)
    sites = rng.integers(0, 3, n).astype(np.int32)
    keys = hash64_many(workloads.url_keys(workloads.hashing_stream()[:n]))
    times = np.arange(n, dtype=np.float64) / 10_000.0
    p = np.array(WEIGHTS * 3, dtype=np.float64)
    p /= p.sum()
    g = np.random.default_rng(1)
    peer = best_rate(lambda: g.choice(len(p), size=n, p=p), n)
    rows = []
    def timed(make) -> float:
        # A fresh balancer per repetition (same times replayed into one object would count as late).
        best = math.inf
        for _ in range(3):
            sb = make()
            t0 = time.perf_counter()
            sb.pick_many(sites, keys, times)
            best = min(best, time.perf_counter() - t0)
        return n / best

    for policy, kw in [("wrr", {}), ("p2c", {}), ("hash", {}), ("hash", {"balance_factor": 1.25})]:
        label = f"{policy} pick_many" + (" bounded 1.25" if kw else "")
        rows.append((label, "numpy Generator.choice(p=weights)",
                     timed(lambda: SiteBalancer(t3, policy=policy, **kw)), peer))

    def down():
        sb = SiteBalancer(t3, policy="wrr")
        sb.set_site_up("pa1", False)
        return sb

    rows.append(("wrr pick_many, pa1 down", "numpy Generator.choice(p=weights)", timed(down), peer))
    return rows


def print_speed(rows) -> None:
    print(f"{'case':<26} {'peer':<36} {'ours M/s':>9} {'peer M/s':>9} {'ours/peer':>10}")
    for case, peer, ours, theirs in rows:
        print(f"{case:<26} {peer:<36} {ours / 1e6:>9.2f} {theirs / 1e6:>9.2f} {ours / theirs:>9.1f}x")


# ---- balls into bins ------------------------------------------------------------------------------
def simulation(ns, per_bin, seeds) -> None:
    print(f"\nmax/mean in-flight after m = {per_bin} x n requests into n equal backends, no releases "
          f"(mean of {len(seeds)} seeds)")
    print(f"{'n':>6} {'m/n':>4} {'random':>8} {'p2c':>8} {'wrr':>8} {'gap random':>11} {'gap p2c':>8} "
          f"{'ln n/ln ln n':>13} {'ln ln n/ln 2':>13}")
    for n in ns:
        t = topo(1, n, [1] * n)
        m = per_bin * n
        mx = {"random": [], "p2c": [], "wrr": []}
        for seed in seeds:
            g = np.random.default_rng(seed)
            mx["random"].append(np.bincount(g.integers(0, n, m), minlength=n).max())
            sb = SiteBalancer(t, policy="p2c", seed=seed, inflight_window=None)
            sb.pick_many(np.zeros(m, np.int32))
            mx["p2c"].append(sb.in_flight().max())
            sb = SiteBalancer(t, policy="wrr")
            mx["wrr"].append(np.bincount(sb.pick_many(np.zeros(m, np.int32)), minlength=n).max())
        mean = m / n
        r, p, w = (float(np.mean(mx[k])) for k in ("random", "p2c", "wrr"))
        lnln = math.log(math.log(n))
        print(f"{n:>6} {per_bin:>4} {r / mean:>8.2f} {p / mean:>8.2f} {w / mean:>8.2f} {r - mean:>11.2f} "
              f"{p - mean:>8.2f} {math.log(n) / lnln:>13.2f} {lnln / math.log(2):>13.2f}")


def bounded_load_table(n: int) -> None:
    """Zipf hot keys on one site of 10 equal backends: load spread with and without bounded load."""
    t = topo(1, 10, [1] * 10)
    keys = hash64_many(workloads.url_keys(workloads.hashing_stream()[:n]))
    sites = np.zeros(n, np.int32)
    times = np.arange(n, dtype=np.float64) / 10_000.0  # 10k req/s; in flight = requests of the current second
    print(f"\nhash policy, {n:,} Zipf(1.0) URL requests, 1 site x 10 backends, 10k req/s, 1-s in-flight window")
    print(f"{'algorithm':<8} {'bound c':>8} {'max/mean per window':>20} {'moved vs unbounded':>19} {'M picks/s':>10}")
    for algo in ("maglev", "ketama"):
        base = None
        for c in (None, 1.5, 1.25, 1.1):
            sb = SiteBalancer(t, policy="hash", hash_algorithm=algo, balance_factor=c)
            t0 = time.perf_counter()
            got = sb.pick_many(sites, keys, times)
            rate = n / (time.perf_counter() - t0)
            win = (times // 1.0).astype(np.int64)
            counts = np.zeros((win.max() + 1, 10), np.int64)
            np.add.at(counts, (win, got), 1)
            ratio = float(np.max(counts.max(axis=1) / counts.mean(axis=1)))
            base = got if base is None else base
            print(f"{algo:<8} {str(c):>8} {ratio:>20.3f} {float(np.mean(got != base)):>19.3f} {rate / 1e6:>10.1f}")


def failover_check() -> None:
    t = Topology.from_dict({"sites": [
        {"name": f"pa{s}", "backends": [{"name": f"pa{s}-{i}", "capacity_rps": 100.0} for i in range(4)]}
        for s in (1, 2, 3)]})
    sb = SiteBalancer(t)
    sb.set_site_up("pa1", False)
    n = 300_000
    got = sb.pick_many(np.repeat(np.arange(3, dtype=np.int32), n // 3))
    share = np.bincount(np.array(t.backend_sites)[got], minlength=3) / n
    rep = capacity_report(t, 900.0).scenario("site pa1 down")
    print("\nthree equal sites, pa1 down: replayed shares", [round(float(x), 4) for x in share],
          "| report load factors", [round(s.load_factor, 3) for s in rep.sites],
          "| shed at 900 rps:", rep.shed_rps, "rps")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    n_call = 50_000 if a.quick else 200_000
    n_batch = 200_000 if a.quick else 1_000_000
    print(f"per-call, 1 site x 10 backends, {n_call:,} picks (best of 3; reference: 1 run)")
    print_speed(speed_table(n_call))
    print(f"\nbatch, 3 sites x 10 backends, {n_batch:,} requests")
    print_speed(batch_table(n_batch))
    simulation([10, 100, 1000] if a.quick else [10, 100, 1000, 10000], 1, range(3 if a.quick else 5))
    simulation([10, 100, 1000], 16, range(3))
    bounded_load_table(200_000 if a.quick else 1_000_000)
    failover_check()


if __name__ == "__main__":
    main()
