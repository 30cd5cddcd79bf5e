"""The proxy caches where a user had ``cachetools.LRUCache``: the mapping
protocol, and the behaviours of cachetools' own test suite (its
``CacheTestMixin`` and ``test_lru.py``), run against both through one thin
adapter so that every difference that remains is one README states."""
from collections.abc import MutableMapping

import cachetools
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from runiso_core import LRUCache, S3FIFOCache, SieveCache


class Adapter:
    """``cachetools.LRUCache(maxsize, getsizeof)`` spelled with runiso_core's
    LRUCache: ``getsizeof`` becomes ``put(..., size=)``; a byte bound when a
    getsizeof is given, an entry bound otherwise."""

    def __init__(self, maxsize, getsizeof=None):
        self.getsizeof = getsizeof or (lambda v: 1)
        self.c = LRUCache(capacity_bytes=maxsize) if getsizeof else LRUCache(max_entries=maxsize)

    def __setitem__(self, k, v):
        self.c.put(k, v, size=self.getsizeof(v))

    def __getattr__(self, name):
        return getattr(self.c, name)

    def __getitem__(self, k):
        return self.c[k]

    def __delitem__(self, k):
        del self.c[k]

    def __contains__(self, k):
        return k in self.c

    def __len__(self):
        return len(self.c)

    def update(self, pairs):
        for k, v in dict(pairs).items():
            self[k] = v


BOTH = [cachetools.LRUCache, Adapter]
IDS = ["cachetools", "runiso"]


def test_the_caches_are_mutable_mappings():
    for cls in (LRUCache, SieveCache, S3FIFOCache):
        c = cls(max_entries=4)
        assert isinstance(c, MutableMapping)
        c.update({"a": 1}, b=2)
        c.update([("c", 3)])
        assert c.setdefault("a", 9) == 1 and c.setdefault("d", 4) == 4 and len(c) == 4
        assert c.maxsize == 4 and c.currsize == 4
        k, v = c.popitem()
        assert k not in c and len(c) == 3 and c.stats.evictions == 0
    with pytest.raises(KeyError, match="empty"):
        LRUCache(max_entries=1).popitem()


@pytest.mark.parametrize("Cache", BOTH, ids=IDS)
def test_insert_update_delete_pop(Cache):
    c = Cache(maxsize=2)
    c.update({1: 1, 2: 2})
    assert (len(c), c[1], c[2]) == (2, 1, 2)
    c[3] = 3
    assert len(c) == 2 and c[3] == 3 and (1 in c) != (2 in c)
    c.update({1: "a", 3: "b"})
    assert c[1] == "a" and c[3] == "b"
    del c[3]
    assert 3 not in c and len(c) == 1
    with pytest.raises(KeyError):
        del c[3]
    assert c.pop(1) == "a" and c.pop(1, None) is None
    with pytest.raises(KeyError):
        c.pop(1)
    with pytest.raises(KeyError):
        c.popitem()


@pytest.mark.parametrize("Cache", BOTH, ids=IDS)
def test_lru_order_update_existing_and_clear(Cache):
    c = Cache(maxsize=2)
    c[1], c[2], c[3] = 1, 2, 3
    assert 1 not in c
    c[2]                                  # 2 becomes the most recent
    c[4] = 4
    assert 3 not in c and c[2] == 2 and c[4] == 4
    c[2] = "updated"                      # an update is a use too
    c[5] = 5
    assert 4 not in c and c[2] == "updated"
    c.clear()
    assert len(c) == 0 and c.currsize == 0
    c[3], c[4] = 3, 4
    c[3]
    c[5] = 5
    assert 4 not in c and 3 in c and 5 in c


@pytest.mark.parametrize("Cache", BOTH, ids=IDS)
def test_popitem_takes_the_least_recently_used(Cache):
    c = Cache(maxsize=3)
    c.update({1: 1, 2: 2, 3: 3})
    c[1]
    assert c.popitem() == (2, 2) and c.popitem() == (3, 3) and c.popitem() == (1, 1)


@pytest.mark.parametrize("Cache", BOTH, ids=IDS)
def test_setdefault(Cache):
    c = Cache(maxsize=2)
    c[1] = 2
    assert c.setdefault(1) == 2 and c.setdefault(1, 1) == 2
    assert c.setdefault(2, 4) == 4 and c.setdefault(2, None) == 4
    assert c.setdefault(3) is None and 3 in c and len(c) == 2


@pytest.mark.parametrize("Cache", BOTH, ids=IDS)
def test_getsizeof_bounds_bytes(Cache):
    c = Cache(maxsize=3, getsizeof=lambda v: v)
    c.update({1: 1, 2: 2})
    assert len(c) == 2 and c.currsize == 3
    c[1] = 2                              # grows: the other entry goes
    assert len(c) == 1 and c.currsize == 2 and 2 not in c
    c[3] = 3
    assert len(c) == 1 and c.currsize == 3 and c[3] == 3


def test_too_large_values_differ_on_purpose():
    # cachetools raises ValueError("value too large") and keeps the old value;
    # runiso_core does not store it, drops the stale copy and counts too_large
    # (a proxy must never serve the old body for a key it was asked to replace).
    ct = cachetools.LRUCache(maxsize=3, getsizeof=lambda v: v)
    ct[3] = 3
    with pytest.raises(ValueError, match="too large"):
        ct[3] = 4
    assert ct[3] == 3
    ours = Adapter(maxsize=3, getsizeof=lambda v: v)
    ours[3] = 3
    ours[3] = 4
    assert 3 not in ours and ours.stats.too_large == 1


def test_remaining_differences_are_the_documented_ones():
    ct, ours = cachetools.LRUCache(maxsize=3), LRUCache(max_entries=3)
    for k in ("a", "b", "c"):
        ct[k] = ours[k] = k
    ct["a"], ours["a"]
    assert list(ct) == ["a", "b", "c"]             # cachetools: its dict's insertion order
    assert list(ours) == ["a", "c", "b"]           # ours: newest (most recently used) first
    ours[b"a"] = "bytes"                           # str keys are their UTF-8 bytes: one key
    assert ours["a"] == "bytes" and len(ours) == 3
    ct[b"a"] = "bytes"
    assert ct["a"] == "a"                          # cachetools keeps two keys
    with pytest.raises(ValueError, match="max_entries must be >= 1"):
        LRUCache(max_entries=0)                    # no empty cache...
    with pytest.raises(ValueError, match="give capacity_bytes and/or max_entries"):
        LRUCache()                                 # ...and no unbounded one


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["get", "set", "del", "pop", "popitem", "setdefault"]),
                          st.integers(0, 9)), max_size=120),
       st.integers(1, 6))
def test_same_answers_as_cachetools_on_any_sequence(ops, maxsize):
    ct, ours = cachetools.LRUCache(maxsize=maxsize), LRUCache(max_entries=maxsize)
    for i, (op, k) in enumerate(ops):
        results = []
        for c in (ct, ours):
            try:
                if op == "get":
                    results.append(c.get(k))
                elif op == "set":
                    c[k] = i
                    results.append(None)
                elif op == "del":
                    del c[k]
                    results.append("deleted")
                elif op == "pop":
                    results.append(c.pop(k, "absent"))
                elif op == "popitem":
                    results.append(c.popitem())
                else:
                    results.append(c.setdefault(k, -i))
            except KeyError:
                results.append("KeyError")
        assert results[0] == results[1], (op, k)
        assert sorted(ct) == sorted(ours) and len(ct) == len(ours)


@pytest.mark.parametrize("cls", [LRUCache, SieveCache, S3FIFOCache])
def test_ttl_caches_never_list_or_pop_an_expired_value(cls):
    c = cls(max_entries=10, default_ttl=10)
    c.put("k", "STALE", now=0)
    c.put("j", "fresh", now=100)
    for call in (lambda: list(c), lambda: c.items(), lambda: c.keys(), lambda: c.values(),
                 lambda: c.popitem()):
        with pytest.raises(TypeError, match="now= is required"):
            call()
    assert c.items(now=100) == [("j", "fresh")] and c.values(now=100) == ["fresh"]
    assert c.keys(now=5) == ["j", "k"] and len(c) == 2      # not yet reclaimed
    assert c.popitem(now=100) == ("j", "fresh")            # "k" reclaimed first, never returned
    assert len(c) == 0 and c.stats.expired == 1
    c.put("a", 1, now=200)
    c.put("b", 2, now=205)
    assert c.expire(212) == [("a", 1)] and c.keys(now=212) == ["b"] and c.stats.expired == 2
    sim = cls(max_entries=10, default_ttl=1)
    sim.access_many(np.arange(3, dtype=np.uint64), times=np.array([0.0, 0.5, 2.0]))
    assert sorted(k for k, _ in sim.expire(2.0)) == [0, 1] and len(sim) == 1
