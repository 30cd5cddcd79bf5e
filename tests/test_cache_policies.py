"""SIEVE and S3-FIFO: their defining behaviour on hand-made sequences."""
import numpy as np
import pytest

from runiso_core import LRUCache, S3FIFOCache, SieveCache


def test_sieve_keeps_visited_and_hand_moves_toward_head():
    c = SieveCache(max_entries=3)
    for k in (1, 2, 3):
        c.access(k)                    # queue head->tail: 3 2 1
    assert c._hand() is None           # first eviction starts at the tail
    assert c.access(1) is True         # 1 visited
    c.access(4)                        # hand: 1 (visited -> cleared), 2 evicted
    assert sorted(c) == [1, 3, 4]
    assert c._hand() == 3              # the hand stops at the newer neighbour of the victim
    c.access(5)                        # 3 is unvisited: evicted where the hand is
    assert sorted(c) == [1, 4, 5] and c._hand() == 4
    c.access(1)                        # 1 visited again: survives the next passes
    c.access(6)                        # 4 evicted
    c.access(7)                        # 5 evicted
    assert sorted(c) == [1, 6, 7]
    assert c._hand() == 6


def test_sieve_hand_wraps_to_tail_after_head():
    c = SieveCache(max_entries=3)
    for k in (1, 2, 3):
        c.access(k)
    for k in (1, 2, 3):
        c.access(k)                    # all visited
    c.access(4)                        # full sweep clears all bits, wraps to the tail: 1 evicted
    assert sorted(c) == [2, 3, 4]
    assert c.stats.evictions == 1


def test_sieve_differs_from_lru():
    lru, sieve = LRUCache(max_entries=3), SieveCache(max_entries=3)
    for c in (lru, sieve):
        for k in (1, 2, 3, 1, 4, 3, 5):
            c.access(k)
    assert sorted(lru) == [3, 4, 5]      # 1 was least recently used
    assert sorted(sieve) == [1, 3, 5]    # the hand skipped visited 3 and evicted new, unvisited 4


def test_s3fifo_queues_step_by_step():
    c = S3FIFOCache(max_entries=10)    # small 1, main 9, ghost 9
    c.access(1)
    assert c._queue_of(1) == "small"
    for k in range(2, 11):
        c.access(k)                    # small full before any eviction -> straight to main
    assert all(c._queue_of(k) == "main" for k in range(2, 11))
    c.access(11)                       # evict small: 1 unhit -> ghost
    assert c._queue_of(1) == "ghost" and c._queue_of(11) == "small"
    assert 1 not in c and len(c) == 10
    assert c.access(1) is False        # ghost hit is a miss ...
    assert c._queue_of(1) == "main"    # ... but goes straight to main
    assert c._queue_of(11) == "ghost"
    c.access(12)                       # main over its 9: its oldest unhit entry (2) is evicted, not ghosted
    assert c._queue_of(2) is None and c._queue_of(12) == "small"
    assert c.access(12) and c.access(12)   # freq 2 in small
    c.access(13)                       # 12 moves to main (freq reset), main's oldest (3) evicted
    assert c._queue_of(12) == "main" and c._queue_of(3) is None
    assert c.access(13)                # one hit only
    c.access(14)                       # main over: 4 evicted; 14 in small behind 13
    c.access(15)                       # 13 (freq 1 < threshold 2) -> ghost
    assert c._queue_of(13) == "ghost" and c.stats.evictions == 6


def test_s3fifo_threshold_one_promotes_single_hit():
    c = S3FIFOCache(max_entries=10, move_to_main_threshold=1)
    for k in range(1, 11):
        c.access(k)
    c.access(11)                       # 1 -> ghost
    c.access(12)                       # 11 -> ghost
    assert c.access(12)
    c.access(13)
    c.access(14)
    assert c._queue_of(12) == "main"


def test_s3fifo_main_is_a_two_bit_clock():
    c = S3FIFOCache(max_entries=10)
    for k in range(1, 11):
        c.access(k)                    # 1 small, 2..10 main
    for _ in range(5):
        c.access(2)                    # freq capped at 3
    c.access(11)                       # 1 -> ghost
    c.access(1)                        # ghost hit -> main (main now 10 > 9)
    c.access(12)                       # main sweep: 2 (freq 3 -> 2) reinserted, 3 evicted
    assert 2 in c and 3 not in c


@pytest.mark.parametrize("cls", [SieveCache, S3FIFOCache])
def test_scan_resistance_vs_lru(cls):
    hot = list(range(80))
    results = {}
    for c in (LRUCache(max_entries=100), cls(max_entries=100)):
        for _ in range(4):
            for k in hot:
                c.access(k)
        c.access_many(np.arange(10_000, 12_000, dtype=np.uint64))   # one-hit-wonder scan
        results[type(c).__name__] = sum(c.access(k) for k in hot)
    assert results["LRUCache"] == 0
    assert results[cls.__name__] == 80


def test_s3fifo_filters_one_hit_wonders():
    c = S3FIFOCache(max_entries=1000)
    rng = np.random.default_rng(0)
    popular = (rng.zipf(1.3, 50_000) % 3000).astype(np.uint64)
    c.access_many(popular)
    assert c.stats.evictions > 0
    main_before = {k for k in range(3000) if c._queue_of(k) == "main"}
    wonders = np.arange(10**6, 10**6 + 5000, dtype=np.uint64)
    c.access_many(wonders)
    # the wonders only cycled through the small queue (100 entries) and the ghost
    assert sum(c._queue_of(int(k)) in ("main", "small") for k in wonders) <= 100
    main_after = {k for k in range(3000) if c._queue_of(k) == "main"}
    assert len(main_after & main_before) >= 0.99 * len(main_before)
    lru = LRUCache(max_entries=1000)
    lru.access_many(popular)
    lru.access_many(wonders)
    assert sum(int(k) in lru for k in wonders) == 1000   # LRU is flushed by them


@pytest.mark.parametrize("cls", [SieveCache, S3FIFOCache])
def test_miss_ratio_beats_lru_on_zipf(cls):
    rng = np.random.default_rng(1)
    keys = (rng.zipf(1.1, 200_000) % 100_000).astype(np.uint64)
    lru = 1 - LRUCache(max_entries=1000).access_many(keys).mean()
    ours = 1 - cls(max_entries=1000).access_many(keys).mean()
    assert ours < lru - 0.01


def test_byte_capacity_policies_hold_bound():
    rng = np.random.default_rng(2)
    keys = rng.integers(0, 3000, 30_000).astype(np.uint64)
    sizes = rng.integers(1, 500, keys.size)
    for cls in (LRUCache, SieveCache, S3FIFOCache):
        c = cls(capacity_bytes=20_000)
        for i in range(0, keys.size, 1000):
            c.access_many(keys[i:i + 1000], sizes[i:i + 1000])
            assert c.stats.bytes <= 20_000
    # S3-FIFO admits only objects smaller than its small queue (2,000 bytes here)
    c = S3FIFOCache(capacity_bytes=20_000)
    assert c.access("x", 2_000) is False and c.stats.too_large == 1 and "x" not in c
    assert c.access("y", 1_999) is False and "y" in c
