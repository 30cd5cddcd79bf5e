"""Pure-Python reference of the four consistent-hashing algorithms.

Readable and slow on purpose: each class states its algorithm in a few lines of
plain Python, and the tests check that the compiled classes of
:mod:`runiso_core._hashing` give the same node for every key. Inputs are assumed
valid (the compiled classes do the validation). Key hashing reuses
:func:`runiso_core.hash64` (itself tested against the ``xxhash`` package) and
:mod:`hashlib` MD5 for ketama.
"""
from __future__ import annotations

import math
from bisect import bisect_right
from hashlib import md5

import numpy as np

from ._hashing import hash64

U64 = (1 << 64) - 1

MAGLEV_OFFSET_SEED = 0
MAGLEV_SKIP_SEED = 1
RENDEZVOUS_NODE_SEED = 0x9E3779B97F4A7C15


def mix64(k: int) -> int:
    """MurmurHash3 fmix64 (the C ``runiso_mix64``)."""
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & U64
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & U64
    k ^= k >> 33
    return k


def _canonical(nodes) -> tuple[tuple[str, ...], tuple[float, ...]]:
    pairs = dict(nodes.items()) if hasattr(nodes, "items") else {n: 1 for n in nodes}
    names = tuple(sorted(pairs))
    return names, tuple(float(pairs[n]) for n in names)


def _xxh_key(key) -> int:
    """Key -> uint64 as the compiled classes do: ints are already hashed."""
    if isinstance(key, (int, np.integer)):
        return int(key)
    return hash64(key)


def _md5_point(data: bytes) -> int:
    return int.from_bytes(md5(data).digest()[:4], "little")


class _Base:
    def __init__(self, nodes):
        self.nodes, self.weights = _canonical(nodes)

    def index_of_hash(self, h: int) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    def key_hash(self, key) -> int:
        return _xxh_key(key)

    def lookup(self, key) -> str:
        return self.nodes[self.index_of_hash(self.key_hash(key))]

    def lookup_many(self, keys) -> np.ndarray:
        return np.array([self.index_of_hash(self.key_hash(k)) for k in keys], dtype=np.int32)


class KetamaRing(_Base):
    """libmemcached ketama: ``(vnodes*N*w)//sum(w)`` MD5 digests of ``name-i`` per
    node, 4 little-endian points per digest; a key goes to the first point > its
    MD5 point, wrapping; on a point collision the later node (by name) wins."""

    def __init__(self, nodes, *, vnodes: int = 40):
        super().__init__(nodes)
        weights = [int(w) for w in self.weights]
        n, total = len(self.nodes), sum(weights)
        ring: dict[int, int] = {}
        for i, (name, w) in enumerate(zip(self.nodes, weights)):
            for v in range((vnodes * n * w) // total):
                digest = md5(f"{name}-{v}".encode()).digest()
                for r in range(4):
                    ring[int.from_bytes(digest[4 * r:4 * r + 4], "little")] = i
        self.points = sorted(ring)
        self.owners = [ring[p] for p in self.points]

    def key_hash(self, key) -> int:
        if isinstance(key, str):
            return _md5_point(key.encode())
        if isinstance(key, (bytes, bytearray, memoryview)):
            return _md5_point(bytes(key))
        return int(key)

    def index_of_hash(self, h: int) -> int:
        p = bisect_right(self.points, h & 0xFFFFFFFF)
        return self.owners[p if p < len(self.points) else 0]


class MaglevTable(_Base):
    """Maglev (NSDI'16 §3.4): nodes take turns (a node of weight w in a w/max(w)
    fraction of the rounds) claiming the next free slot of their permutation
    ``(offset + j*skip) % M``; a key hash h reads slot ``h*M >> 64``."""

    def __init__(self, nodes, *, table_size: int = 65537):
        super().__init__(nodes)
        m = self.table_size = table_size
        names = [name.encode() for name in self.nodes]
        offset = [hash64(b, MAGLEV_OFFSET_SEED) % m for b in names]
        skip = [hash64(b, MAGLEV_SKIP_SEED) % (m - 1) + 1 for b in names]
        wmax = max(self.weights)
        rel = [w / wmax for w in self.weights]
        target = [0.0] * len(names)
        nxt = [0] * len(names)
        table = [-1] * m
        filled, iteration = 0, 1
        while filled < m:
            for i in range(len(names)):
                if iteration * rel[i] < target[i]:
                    continue
                target[i] += 1.0
                while True:
                    c = (offset[i] + nxt[i] * skip[i]) % m
                    nxt[i] += 1
                    if table[c] < 0:
                        break
                table[c] = i
                filled += 1
                if filled == m:
                    break
            iteration += 1
        self.table = table

    def index_of_hash(self, h: int) -> int:
        return self.table[(h * self.table_size) >> 64]


class RendezvousHash(_Base):
    """Weighted HRW: score_i = -w_i / ln(u_i), u_i = (m_i + 0.5) / 2**52 with
    m_i = mix64(h ^ node_hash_i) >> 12; the highest score wins. Each group of equal
    weight first elects its largest m_i (lowest index on a tie; the score is
    monotone in m_i within the group), then the best group winner's score wins
    (lowest index on a tie)."""

    def __init__(self, nodes):
        super().__init__(nodes)
        self.node_hash = [hash64(n.encode(), RENDEZVOUS_NODE_SEED) for n in self.nodes]

    def index_of_hash(self, h: int) -> int:
        groups: dict[float, list[int]] = {}
        for i, w in enumerate(self.weights):
            groups.setdefault(w, []).append(i)
        winners = []  # (node index, m) per weight group
        for w, members in groups.items():
            ms = [(mix64(h ^ self.node_hash[i]) >> 12, -i) for i in members]
            m, neg_i = max(ms)
            winners.append((-neg_i, m, w))
        if len(winners) == 1:
            return winners[0][0]
        scored = [(-w / math.log((m + 0.5) * 2.0 ** -52), -i) for i, m, w in winners]
        return -max(scored)[1]


class JumpHash(_Base):
    """Lamping & Veach jump consistent hash; bucket i is node i (sorted by name)."""

    def index_of_hash(self, h: int) -> int:
        b, j, key, n = -1, 0, h, len(self.nodes)
        while j < n:
            b = j
            key = (key * 2862933555777941757 + 1) & U64
            j = int((b + 1) * ((1 << 31) / ((key >> 33) + 1)))
        return b
