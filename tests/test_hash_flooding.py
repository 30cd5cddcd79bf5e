"""Hash flooding: keys aimed at one probe run of an unsalted table.

The open-addressing tables (admission key tables, cache index) place keys by
``runiso_table_hash(key, salt)`` with a random salt per object. These keys all
share one home slot under the *unsalted* mix, the attack a fixed hash allows.
Slot positions must never change a decision, so objects with different salts
must agree exactly with each other and with the pure-Python references. (The
speed side is in bench/test_bench_flooding.py.)
"""
import numpy as np

from runiso_core import KeyedTokenBuckets, LRUCache, S3FIFOCache, SessionGate, SieveCache
from runiso_core._admission_py import KeyedTokenBuckets as KeyedTokenBucketsPy
from runiso_core._cache_py import LRURef

M64 = (1 << 64) - 1


def _unxorshift(x, s):
    r = x
    for _ in range(64 // s + 1):
        r = x ^ (r >> s)
    return r & M64


def inverse_mix64(y):
    """Inverse of MurmurHash3's fmix64 (runiso_mix64)."""
    y = _unxorshift(y, 33)
    y = (y * pow(0xC4CEB9FE1A85EC53, -1, 1 << 64)) & M64
    y = _unxorshift(y, 33)
    y = (y * pow(0xFF51AFD7ED558CCD, -1, 1 << 64)) & M64
    return _unxorshift(y, 33)


def flood_keys(n, *, high=False):
    """Keys whose unsalted mix64 shares its low 32 bits (the admission tables'
    home slot) or, with ``high``, its high 32 bits (the cache index's home slot
    and tag): one probe run in any unsalted table of up to 2**32 slots."""
    return np.array([inverse_mix64(i if high else i << 32) for i in range(1, n + 1)], dtype=np.uint64)


def test_inverse_mix64_is_the_inverse():
    from runiso_core._hashing_py import mix64
    for x in (0, 1, 12345, M64, 0xDEADBEEFCAFEBABE):
        assert inverse_mix64(mix64(x)) == x


def test_flood_keys_same_decisions_whatever_the_salt():
    keys = flood_keys(3000)
    rng = np.random.default_rng(5)
    stream = keys[rng.integers(0, len(keys), 20_000)]
    times = np.arange(len(stream), dtype=np.float64) / 2_000.0
    outs = [KeyedTokenBuckets(5, 3, max_keys=1000).try_acquire_many(stream, times) for _ in range(3)]
    ref = KeyedTokenBucketsPy(5, 3, max_keys=1000)
    expected = np.array([ref.try_acquire(int(k), float(t)) for k, t in zip(stream, times)])
    for out in outs:
        np.testing.assert_array_equal(out, expected)
    prio = np.zeros(len(stream), dtype=bool)
    gates = [SessionGate(new_sessions_rate=50, new_sessions_burst=20, max_active_sessions=500,
                         idle_timeout=2.0, shed_ttl=1.0, max_tracked=800).decide_many(stream, times, prio)
             for _ in range(3)]
    for g in gates[1:]:
        np.testing.assert_array_equal(g, gates[0])
    stream = flood_keys(3000, high=True)[rng.integers(0, 3000, 20_000)]
    for cls in (LRUCache, SieveCache, S3FIFOCache):
        hits = [cls(max_entries=700).access_many(stream) for _ in range(3)]
        for h in hits[1:]:
            np.testing.assert_array_equal(h, hits[0])
    lru_ref = LRURef(max_entries=700)
    np.testing.assert_array_equal(
        LRUCache(max_entries=700).access_many(stream), [lru_ref.access(int(k)) for k in stream])
