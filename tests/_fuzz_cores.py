"""Operation interpreters of the core fuzz harnesses (``tests/test_fuzz.py``
draws the operations with hypothesis, ``tests/fuzz/fuzz_cores.py`` decodes
them from atheris' bytes).

An operation is ``(method_name, args, kwargs)``. Each ``run_*`` function
builds the native object and its pure-Python reference from one
configuration, applies every operation to both, and requires the same
answer (value, or exception type) and the same observable state after it
(counters, sizes, resident keys, in-flight counts...).

The cache references of ``runiso_core._cache_py`` are simulators keyed by
64-bit hashes; :class:`CacheModel` puts the rest of the public API on top of
them the way the native caches document it: proxy mode (stored key objects
and values, ``put``/``get``/``peek``/``pop``/``popitem``/``expire``,
hash collisions between an int key and a str key), the ``now=`` rule, the
mode rule and the ``on_evict`` callbacks.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from runiso_core import (ConsistentHash, KeyedTokenBuckets, LRUCache, S3FIFOCache,
                         SessionGate, SieveCache, SiteBalancer, TokenBucket)
from runiso_core import _admission_py, _hashing_py
from runiso_core._balance_py import SiteBalancerPy
from runiso_core._cache_py import LRURef, S3FIFORef, SieveRef, to_ns
from runiso_core._hashing import _key_hash

# The exceptions the APIs document for bad calls; anything else is a defect.
API_ERRORS = (TypeError, ValueError, KeyError, RuntimeError)
CACHES = {"lru": (LRUCache, LRURef), "sieve": (SieveCache, SieveRef),
          "s3fifo": (S3FIFOCache, S3FIFORef)}
_MISSING = object()
_MAX_SIZE = 1 << 48


def outcome(fn, *args, **kwargs):
    """``("ok", result)`` or ``("raises", exception type)``, results as plain
    Python values (numpy arrays and iterators as lists)."""
    try:
        r = fn(*args, **kwargs)
    except API_ERRORS as e:
        return ("raises", _error_kind(e))
    if isinstance(r, np.ndarray):
        r = r.tolist()
    elif hasattr(r, "__next__"):
        r = list(r)
    return ("ok", r)


def _error_kind(e: BaseException) -> type:
    # KeyError is a LookupError, not a ValueError: compare the documented classes
    for kind in API_ERRORS:
        if isinstance(e, kind):
            return kind
    return type(e)   # pragma: no cover


def _same(i: int, op, got, exp) -> None:
    assert got == exp, f"operation {i} {op!r}: native {got!r}, reference {exp!r}"


# ---------------------------------------------------------------- caches

def _norm(key):
    """A key as the proxy caches keep it: str, bytes or int (a str is its UTF-8 bytes)."""
    if isinstance(key, (bytearray, memoryview)):
        return bytes(key)
    return key


def _same_key(stored, key) -> bool:
    a, b = (x.encode() if isinstance(x, str) else _norm(x) for x in (stored, key))
    return type(a) is type(b) and a == b


def _finite_ttl(ttl) -> bool:
    return ttl is not None and ttl * 1e9 < 9.0e18


def _check_size(size) -> None:
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError("size must be an int")
    if not 1 <= size < _MAX_SIZE:
        raise ValueError("size must be in [1, 2**48)")


def _check_ttl(ttl) -> None:
    if ttl is not None and (math.isnan(ttl) or ttl < 0):
        raise ValueError("ttl must be >= 0")


def _check_now(now) -> None:
    if now is not None and not (math.isfinite(now) and abs(now * 1e9) < 9.0e18):
        raise ValueError("now must be finite")


class CacheModel:
    """The documented behaviour of ``LRUCache``/``SieveCache``/``S3FIFOCache``
    (both modes), on top of the simulator references of ``_cache_py``."""

    def __init__(self, policy: str, *, capacity_bytes=None, max_entries=None, default_ttl=None,
                 resize_on_hit=True, **s3):
        self._policy = policy
        self._cfg = dict(capacity_bytes=capacity_bytes, max_entries=max_entries,
                         default_ttl=default_ttl, resize_on_hit=resize_on_hit, **s3)
        self.mode = "unset"
        self._ttl_used = default_ttl is not None and _finite_ttl(default_ttl)
        self.callbacks: list = []
        self._objs: dict = {}       # hash -> [key object, value] (proxy mode)
        self._dropped: list = []    # (key, value) of resident entries dropped, in order
        self._log = True
        self.r = self._new_ref()

    def _new_ref(self):
        r = CACHES[self._policy][1](**self._cfg)
        forget = r._forget

        def logged(h):            # every removal of a resident entry passes here
            pair = self._objs.pop(h, None)
            if self._log:
                self._dropped.append(tuple(pair) if pair is not None else (h, None))
            forget(h)
        r._forget = logged
        return r

    # -- rules shared by the methods
    def _time(self, now, ttl=None) -> int:
        _check_now(now)
        if now is not None:
            return to_ns(now)
        if self._ttl_used or _finite_ttl(ttl):
            raise TypeError("now= is required on a cache with TTLs")
        return self.r.now

    def _set_mode(self, mode: str) -> None:
        if self.mode not in ("unset", mode):
            raise RuntimeError(f"the cache is in {self.mode} mode")
        self.mode = mode

    def _not(self, mode: str) -> None:
        if self.mode == mode:
            raise RuntimeError(f"the cache is in {mode} mode")

    def _take_dropped(self) -> list:
        out, self._dropped = self._dropped, []
        return out

    def _notify(self) -> None:
        dropped = self._take_dropped()
        if self.mode == "proxy":
            self.callbacks += dropped

    def _resident(self, h, now_ns) -> bool:
        return h in self.r.size and now_ns < self.r.expire[h]

    def _newest_first(self) -> list:
        r = self.r
        if self._policy == "lru":
            return list(reversed(r.order))
        if self._policy == "sieve":
            return list(r.queue)
        return list(reversed(r.main)) + list(reversed(r.small))

    def _oldest_first(self) -> list:
        r = self.r
        if self._policy == "lru":
            return list(r.order)
        if self._policy == "sieve":
            return list(reversed(r.queue))
        return list(r.small) + list(r.main)

    def _key_of(self, h):
        return self._objs[h][0] if self.mode == "proxy" else h

    def _value_of(self, h):
        return self._objs[h][1] if self.mode == "proxy" else None

    # -- simulator API
    def access(self, key, size=1, *, now=None, ttl=None):
        h = _key_hash(key)
        _check_size(size)
        _check_ttl(ttl)
        self._time(now, ttl)
        self._set_mode("simulator")
        self._ttl_used |= _finite_ttl(ttl)
        hit = self.r.access(h, size, now, ttl)
        self._take_dropped()
        return hit

    def access_fast(self, key):
        h = _key_hash(key)
        if self._ttl_used:
            self._time(None)
        self._set_mode("simulator")
        hit = self.r.access(h, 1, None, None)
        self._take_dropped()
        return hit

    def access_many(self, keys, sizes=None, times=None, ttls=None):
        self._not("proxy")
        hs = [_key_hash(k) for k in (keys.tolist() if isinstance(keys, np.ndarray) else keys)]
        if sizes is not None:
            for s in np.asarray(sizes).tolist():
                if not 1 <= s < _MAX_SIZE:
                    raise ValueError("sizes must be in [1, 2**48)")
        if times is not None:
            for t in times:
                _check_now(float(t))
        if ttls is not None:
            for t in ttls:
                if not math.isnan(t):
                    _check_ttl(float(t))
        finite = ttls is not None and any(not math.isnan(t) and _finite_ttl(t) for t in ttls)
        if times is None and (self._ttl_used or finite):
            raise TypeError("times= is required on a cache with TTLs")
        self._set_mode("simulator")
        self._ttl_used |= finite
        out = []
        for i, h in enumerate(hs):
            ttl = None if ttls is None or math.isnan(ttls[i]) else float(ttls[i])
            out.append(self.r.access(h, 1 if sizes is None else int(sizes[i]),
                                     None if times is None else float(times[i]), ttl))
        self._take_dropped()
        return out

    # -- proxy API
    def put(self, key, value, *, size=1, ttl=None, now=None):
        self._not("simulator")
        h = _key_hash(key)
        _check_size(size)
        _check_ttl(ttl)
        t = self._time(now, ttl)
        self._set_mode("proxy")
        self._ttl_used |= _finite_ttl(ttl)
        r = self.r
        if h in r.size and not _same_key(self._objs[h][0], key):
            r.evictions += 1            # a different key with the same 64-bit hash gives way
            r._drop(h)
        stored = self._ref_put(h, size, t, ttl)
        if stored:
            if h in self._objs:
                self._objs[h][1] = value
            else:
                self._objs[h] = [_norm(key), value]
        self._notify()
        return stored

    def _ref_put(self, h, size, t, ttl) -> bool:
        # The reference's access() with the native RC_OP_PUT branch: no
        # hit/miss counted, the TTL restarts, a resident entry takes the new size.
        r = self.r
        r.now = t
        ghost_hit = r._ghost_take(h)
        if h in r.size:
            if t >= r.expire[h]:
                r.expired += 1
                r._drop(h)
            elif size > r.cap_bytes:
                r.too_large += 1
                r._drop(h)
                return False
            else:
                r._touch(h)
                r.expire[h] = r._expiry(t, ttl)
                if size != r.size[h]:
                    r._resize(h, size)
                return h in r.size
        if size > r.cap_bytes or not r._admissible(size, ghost_hit):
            r.too_large += 1
            return False
        r._make_room(size, 1)
        r._insert(h, size, r._expiry(t, ttl), ghost_hit)
        return True

    def get(self, key, default=None, *, now=None):
        self._not("simulator")
        h = _key_hash(key)
        t = self._time(now)
        self._set_mode("proxy")
        r = self.r
        r.now = t
        if h in r.size and _same_key(self._objs[h][0], key):
            if t >= r.expire[h]:
                r.expired += 1
                r.misses += 1
                r._drop(h)
                self._notify()
                return default
            r._touch(h)
            r.hits += 1
            r.byte_hits += r.size[h]
            return self._objs[h][1]
        r.misses += 1
        return default

    def _find(self, key, now):
        h = _key_hash(key)
        t = self._time(now)
        if self.mode == "proxy" and self._resident(h, t) and _same_key(self._objs[h][0], key):
            return h
        return None

    def peek(self, key, default=None, *, now=None):
        self._not("simulator")
        h = self._find(key, now)
        return default if h is None else self._objs[h][1]

    def pop(self, key, default=_MISSING, *, now=None):
        self._not("simulator")
        h = self._find(key, now)
        if h is None:
            if default is _MISSING:
                raise KeyError(key)
            return default
        value = self._objs[h][1]
        self._log = False           # a removal by the caller: no callback
        self.r._drop(h)
        self._log = True
        return value

    def __getitem__(self, key):
        v = self.get(key, _MISSING)
        if v is _MISSING:
            raise KeyError(key)
        return v

    def __setitem__(self, key, value):
        self.put(key, value)

    def __delitem__(self, key):
        self.pop(key)

    def __contains__(self, key):
        h = _key_hash(key)
        t = self._time(None)
        if self.mode == "proxy":
            return self._resident(h, t) and _same_key(self._objs[h][0], key)
        return self._resident(h, t)

    def __len__(self):
        return len(self.r.size)

    def _listed(self, now, pairs: bool) -> list:
        t = self._time(now)
        out = []
        for h in self._newest_first():
            if not (self._ttl_used and t >= self.r.expire[h]):
                out.append((self._key_of(h), self._value_of(h)) if pairs else self._key_of(h))
        return out

    def __iter__(self):
        return iter(self._listed(None, False))

    def keys(self, *, now=None):
        return self._listed(now, False)

    def items(self, *, now=None):
        return self._listed(now, True)

    def values(self, *, now=None):
        return [v for _, v in self._listed(now, True)]

    def expire(self, now):
        if now is None:
            raise TypeError("expire: now is required")
        _check_now(now)
        t = to_ns(now)
        self._take_dropped()
        for h in self._oldest_first():
            if t >= self.r.expire[h]:
                self.r._drop(h)
                self.r.expired += 1
        return self._take_dropped()

    def popitem(self, *, now=None):
        self._time(now)
        if self._ttl_used:
            self.expire(now)
        r = self.r
        if not r.size:
            raise KeyError("popitem(): cache is empty")
        n0, ev0 = len(r.size), r.evictions
        while len(r.size) == n0:        # an S3-FIFO step may only move entries to main
            r._evict()
        r.evictions = ev0
        dropped = self._take_dropped()
        assert len(dropped) == 1, dropped
        return dropped[0]

    def setdefault(self, key, default=None, *, size=1, ttl=None, now=None):
        v = self.get(key, _MISSING, now=now)
        if v is not _MISSING:
            return v
        self.put(key, default, size=size, ttl=ttl, now=now)
        return default

    def update(self, other=(), /, **kwargs):
        pairs = other.items() if isinstance(other, Mapping) else other
        for k, v in list(pairs) + list(kwargs.items()):
            self.put(k, v)

    def clear(self):
        old = self.r
        self._objs = {}
        self.r = self._new_ref()
        for name in ("hits", "misses", "byte_hits", "byte_misses", "evictions", "expired",
                     "too_large", "now"):
            setattr(self.r, name, getattr(old, name))

    def reset_stats(self):
        for name in ("hits", "misses", "byte_hits", "byte_misses", "evictions", "expired",
                     "too_large"):
            setattr(self.r, name, 0)

    @property
    def stats(self) -> dict:
        return self.r.counters()


def cache_stats(c) -> dict:
    """A native cache's counters as the reference's ``counters()`` dict."""
    s = c.stats
    return dict(hits=s.hits, misses=s.misses, byte_hits=s.byte_hits, byte_misses=s.byte_misses,
                evictions=s.evictions, expired=s.expired, too_large=s.too_large,
                entries=s.entries, bytes=s.bytes)


def run_cache(policy: str, cfg: dict, ops) -> dict:
    """Apply ``ops`` to a native cache and to :class:`CacheModel`: same
    answers, ``on_evict`` calls, counters and length after every operation.
    Returns how many operations succeeded / raised (for the harness' checks)."""
    called = []
    native = CACHES[policy][0](**cfg, on_evict=lambda k, v: called.append((k, v)))
    model = CacheModel(policy, **cfg)
    seen = {"ok": 0, "raises": 0}
    for i, (name, args, kwargs) in enumerate(ops):
        got = outcome(getattr(native, name), *args, **kwargs)
        exp = outcome(getattr(model, name), *args, **kwargs)
        _same(i, (name, args, kwargs), got, exp)
        _same(i, (name, "on_evict"), called, model.callbacks)
        called.clear()
        model.callbacks.clear()
        _same(i, (name, "stats"), cache_stats(native), model.stats)
        _same(i, (name, "len"), len(native), len(model))
        seen[got[0]] += 1
    return seen


# ---------------------------------------------------------------- admission

def run_token_bucket(cfg: dict, ops) -> dict:
    """TokenBucket vs ``_admission_py.TokenBucket``; ``try_acquire_many`` vs
    the reference's per-call loop (and all-or-nothing on a bad batch)."""
    native, ref = TokenBucket(**cfg), _admission_py.TokenBucket(**cfg)
    seen = {"ok": 0, "raises": 0}
    for i, (name, args, kwargs) in enumerate(ops):
        got = outcome(getattr(native, name), *args, **kwargs)
        if name == "try_acquire_many":
            exp = outcome(_bucket_many, ref, *args, **kwargs)
        else:
            exp = outcome(getattr(ref, name), *args, **kwargs)
        _same(i, (name, args, kwargs), got, exp)
        seen[got[0]] += 1
    return seen


def _ns_column(n, count: int) -> list:
    if n is None:
        return [1] * count
    if isinstance(n, np.ndarray):
        return n.tolist()
    return [n] * count


def _bucket_many(ref, times, n=None):
    ns = _ns_column(n, len(times))
    for k in ns:                      # the whole batch is checked before any request
        _admission_py._need(k, ref.cap)
    for t in times:
        _admission_py.sec_to_ns(t)
    return [ref.try_acquire(float(t), k) for t, k in zip(times, ns)]


def _run_against(native, ref, ops, many: str, ref_many) -> dict:
    """Each operation on both, then answers, stats and length compared; the batch
    method ``many`` runs on the reference as ``ref_many(ref, ...)``."""
    seen = {"ok": 0, "raises": 0}
    for i, (name, args, kwargs) in enumerate(ops):
        got = outcome(getattr(native, name), *args, **kwargs)
        if name == many:
            exp = outcome(ref_many, ref, *args, **kwargs)
        else:
            exp = outcome(getattr(ref, name), *args, **kwargs)
        _same(i, (name, args, kwargs), got, exp)
        _same(i, (name, "stats"), native.stats, ref.stats)
        _same(i, (name, "len"), len(native), len(ref))
        seen[got[0]] += 1
    return seen


def run_keyed_buckets(cfg: dict, ops) -> dict:
    """KeyedTokenBuckets vs the reference: answers, stats and length after every operation."""
    return _run_against(KeyedTokenBuckets(**cfg), _admission_py.KeyedTokenBuckets(**cfg), ops,
                        "try_acquire_many", _keyed_many)


def _keyed_many(ref, keys, times, n=None):
    ks = keys.tolist() if isinstance(keys, np.ndarray) else list(keys)
    ns = _ns_column(n, len(ks))
    if len(times) != len(ks):
        raise ValueError("times and keys differ in length")
    for k in ns:
        _admission_py._need(k, ref.cap)
    for t in times:
        _admission_py.sec_to_ns(t)
    return [ref.try_acquire(k, float(t), c) for k, t, c in zip(ks, times, ns)]


def run_session_gate(cfg: dict, ops) -> dict:
    """SessionGate vs the reference: decisions, active sessions, stats and length."""
    return _run_against(SessionGate(**cfg), _admission_py.SessionGate(**cfg), ops,
                        "decide_many", _gate_many)


def _gate_many(ref, keys, times, priority=None):
    ks = keys.tolist() if isinstance(keys, np.ndarray) else list(keys)
    if priority is None or isinstance(priority, (bool, np.bool_)):
        prio = [bool(priority)] * len(ks)
    else:
        prio = [bool(p) for p in np.asarray(priority).tolist()]
    for t in times:
        _admission_py.sec_to_ns(t)
    return [int(ref.decide(k, float(t), priority=p)) for k, t, p in zip(ks, times, prio)]


# ---------------------------------------------------------------- balancer

def run_balancer(topology, cfg: dict, ops) -> dict:
    """SiteBalancer vs SiteBalancerPy: every pick, then in-flight counts,
    health flags, stats and the site split after every operation.
    ``pick_many`` gets its sites as given (indices or names) on the native
    side and as indices on the reference side."""
    native, ref = SiteBalancer(topology, **cfg), SiteBalancerPy(topology, **cfg)
    seen = {"ok": 0, "raises": 0, "picks": 0}
    for i, (name, args, kwargs) in enumerate(ops):
        got = outcome(getattr(native, name), *args, **kwargs)
        if name == "pick_many":
            sites = [topology.site_index(s) for s in args[0]]
            exp = outcome(ref.pick_many, np.array(sites, dtype=np.int32), *args[1:], **kwargs)
            seen["picks"] += len(sites)
        else:
            exp = outcome(getattr(ref, name), *args, **kwargs)
            seen["picks"] += name == "pick"
        _same(i, (name, args, kwargs), got, exp)
        _same(i, (name, "in_flight"), native.in_flight().tolist(), ref.in_flight().tolist())
        _same(i, (name, "backend up"), [native.is_backend_up(b) for b in range(topology.n_backends)],
              ref.bup)
        _same(i, (name, "site up"), [native.is_site_up(s) for s in range(topology.n_sites)], ref.sup)
        _same(i, (name, "stats"), native.stats, ref.stats)
        seen[got[0]] += 1
    assert native.split == ref.split
    return seen


# ---------------------------------------------------------------- consistent hashing

HASHES = {"ketama": _hashing_py.KetamaRing, "maglev": _hashing_py.MaglevTable,
          "rendezvous": _hashing_py.RendezvousHash, "jump": _hashing_py.JumpHash}


def reference_hash(native: ConsistentHash):
    """The ``_hashing_py`` twin of a native table (same nodes, weights, options)."""
    kind = type(native).__name__
    nodes = dict(zip(native.nodes, native.weights))
    if kind == "KetamaRing":
        return _hashing_py.KetamaRing(nodes, vnodes=native.vnodes)
    if kind == "MaglevTable":
        return _hashing_py.MaglevTable(nodes, table_size=native.table_size)
    return getattr(_hashing_py, kind)(nodes)


def check_hash_lookups(native: ConsistentHash, keys: list, forms: list) -> int:
    """``lookup``, ``lookup_many`` over every batch form in ``forms`` (list,
    tuple, uint64/``U``/``S``/object arrays where the keys allow) and the
    reference agree on every key. Returns the number of keys checked."""
    ref = reference_hash(native)
    expected = [ref.index_of_hash(ref.key_hash(k)) for k in keys]
    names = [native.nodes[i] for i in expected]
    assert [native.lookup(k) for k in keys] == names
    for form in forms:
        batch = key_batch(keys, form)
        if batch is not None:
            assert native.lookup_many(batch).tolist() == expected, form
    return len(keys)


def key_batch(keys: list, form: str):
    """``keys`` as a batch of one form, or None when the form cannot hold them:
    ``list``, ``tuple``, ``u64`` (ints only), ``U`` (str only), ``S`` (bytes
    only, no trailing NUL: numpy strips it), ``O`` (object array)."""
    if form == "list":
        return list(keys)
    if form == "tuple":
        return tuple(keys)
    if form == "O":
        a = np.empty(len(keys), dtype=object)
        a[:] = keys
        return a
    if form == "u64" and all(isinstance(k, int) for k in keys):
        return np.array(keys, dtype=np.uint64)
    if form == "U" and keys and all(isinstance(k, str) for k in keys):
        return np.array(keys, dtype=str)
    if form == "S" and keys and all(isinstance(k, bytes) and not k.endswith(b"\x00") for k in keys):
        return np.array(keys, dtype=bytes)
    return None
