from collections.abc import Iterable, Mapping, Sequence
from typing import Union, final

from typing_extensions import Self

import numpy as np
import numpy.typing as npt

Key = Union[str, bytes, bytearray, memoryview, int]
KeyBatch = Union[Sequence[Union[str, bytes, int]], npt.NDArray[np.uint64], npt.NDArray[np.bytes_], npt.NDArray[np.str_], npt.NDArray[np.object_]]

def hash64(key: str | bytes | bytearray | memoryview, seed: int = 0) -> int:
    """XXH64 of ``key`` (str hashed as UTF-8); equals ``xxhash.xxh64_intdigest``."""

def hash64_many(keys: Iterable[str | bytes] | npt.NDArray[np.bytes_] | npt.NDArray[np.str_] | npt.NDArray[np.object_], seed: int = 0) -> npt.NDArray[np.uint64]:
    """Vectorised :func:`hash64`; returns a uint64 array."""

def _key_array(keys: KeyBatch, *, allow_int: bool = True, argname: str = "keys") -> npt.NDArray[np.uint64]: ...
def _key_hash(key: Key, *, argname: str = "key") -> int: ...

Nodes = Union[Mapping[str, float], Iterable[str]]

DEFAULT_TABLE_SIZE: int
MAX_TABLE_SIZE: int
MAX_KETAMA_DIGESTS: int
MAGLEV_OFFSET_SEED: int
MAGLEV_SKIP_SEED: int
RENDEZVOUS_NODE_SEED: int
KETAMA_REPLICAS: int

class ConsistentHash:
    """Base of the consistent-hashing algorithms; not instantiable itself.

    Constructors take ``nodes``: a mapping name -> weight (positive finite
    number) or an iterable of names (weight 1). Nodes are sorted by name, and
    indices refer to that order, so the placement never depends on the order the
    nodes were given in nor on the process. Instances are immutable and can be
    shared by every thread of a proxy without locks; ``with_node`` and
    ``without_node`` return new instances. Pickling and ``==`` work.
    """

    @property
    def nodes(self) -> tuple[str, ...]:
        """Node names sorted by name; ``lookup_many`` indices refer to this order."""
    @property
    def weights(self) -> tuple[float, ...]:
        """Weight of each node, in the order of ``nodes``."""
    def lookup(self, key: Key) -> str:
        """Node name for one key.

        ``str`` (UTF-8) / ``bytes`` / ``bytearray`` / ``memoryview`` keys are
        hashed (XXH64; MD5 ketama point for :class:`KetamaRing`); an ``int`` in
        [0, 2**64) is taken as an already-hashed 64-bit key. Anything else raises
        ``TypeError``; an out-of-range int raises ``ValueError``.
        """
    def lookup_many(self, keys: KeyBatch) -> npt.NDArray[np.int32]:
        """Node indices into ``nodes`` for a batch: a 1-D uint64 array
        of pre-hashed keys, a list/tuple of str/bytes/int, or a numpy ``S``/``U``/
        object array. ``nodes[out[i]] == lookup(keys[i])``. Runs without the GIL."""
    def with_node(self, name: str, weight: float = 1) -> Self:
        """New instance with ``name`` added (or its weight replaced); same options."""
    def without_node(self, name: str) -> Self:
        """New instance without ``name``; ``ValueError`` if absent or the last node."""
    def __len__(self) -> int: ...
    def __contains__(self, name: object, /) -> bool: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class KetamaRing(ConsistentHash):
    """The libmemcached ketama continuum; for every str key ``lookup`` returns the
    same node as ``uhashring.HashRing(nodes, hash_fn="ketama").get_node(key)``
    (given the same nodes and integer weights; on one of the rare 32-bit point
    collisions the node later by name wins, i.e. uhashring fed nodes in sorted
    order).

    Each node gets ``(vnodes * len(nodes) * w) // sum(weights)`` MD5 digests of
    ``f"{name}-{i}"``, 4 points each. A str/bytes key's point is the first 4
    bytes of its MD5, little-endian (bytes are hashed as-is, not as ``str(b)``);
    an int key is pre-hashed and its low 32 bits are the point. Weights must be
    integers (``ValueError`` otherwise); a node whose share rounds to 0 digests
    gets no keys, as in uhashring. Removing/adding a node moves only that node's
    keys when weights are equal; with unequal weights every node's digest count
    ``(vnodes*N*w)//sum(w)`` changes with N and sum(w), as in uhashring.
    ``vnodes * len(nodes)`` is capped at 4,000,000.
    """
    def __init__(self, nodes: Nodes, *, vnodes: int = 40) -> None: ...
    @property
    def vnodes(self) -> int:
        """MD5 digests per node at average weight (uhashring's default 40)."""
    @property
    def n_points(self) -> int:
        """Distinct points on the continuum."""

@final
class MaglevTable(ConsistentHash):
    """Maglev lookup table (Eisenbud et al., NSDI 2016, section 3.4).

    Node ``i`` has ``offset = hash64(name, 0) % M`` and ``skip = hash64(name, 1) %
    (M - 1) + 1``; nodes take turns claiming the next free slot of their
    permutation, a node of weight ``w`` taking a turn in ``w / max(weights)`` of the
    rounds (Envoy's scheme). A key hash ``h`` reads slot ``h * M >> 64``.
    ``table_size`` (M) must be a prime in [len(nodes), 2**24]; use M >= 100 *
    len(nodes) to keep shares within ~1 %. Removing one of N nodes moves about 1/N
    of the keys plus a little more (at most ~2/N).
    """
    def __init__(self, nodes: Nodes, *, table_size: int = 65537) -> None: ...
    @property
    def table_size(self) -> int:
        """M, the number of table slots (prime)."""

@final
class RendezvousHash(ConsistentHash):
    """Weighted rendezvous / highest-random-weight hashing.

    Node ``i`` scores ``-w_i / ln(u_i)``, ``u_i = (m_i + 0.5) / 2**52`` with
    ``m_i = mix64(h ^ XXH64(name_i, seed=0x9E3779B97F4A7C15)) >> 12``; the highest score
    wins. Each group of equal weight first elects its largest ``m_i`` (lowest index
    on a tie), so only one log per distinct weight is computed. Exact weighted
    shares and minimal disruption for any change, O(N) per key."""
    def __init__(self, nodes: Nodes) -> None: ...

@final
class JumpHash(ConsistentHash):
    """Jump consistent hash (Lamping & Veach 2014). Node ``i`` (sorted by name) is
    bucket ``i``: for an int key, ``lookup`` returns ``nodes[jump.hash(key, N)]``
    of the jump-consistent-hash package. Only adding/removing the node that sorts
    last is minimally disruptive (name shards so they sort, e.g. ``shard-007``).
    Weights other than 1 raise ``ValueError``."""
    def __init__(self, nodes: Nodes) -> None: ...
