"""runiso_core: the routing decisions of a reverse proxy / ADC, in C.

Consistent hashing, session admission, caching and site-aware balancing under a
thin typed Python API, plus the ``runiso`` CLI that replays captured traffic.

Every core object has a per-call API (one request, for a proxy) and a batch API
over numpy arrays (for replay) that gives identical answers.
"""
from importlib.metadata import PackageNotFoundError, version as _version

from ._hashing import (
    ConsistentHash,
    JumpHash,
    KetamaRing,
    MaglevTable,
    RendezvousHash,
    hash64,
    hash64_many,
)
from ._balance import SiteBalancer
from ._balance_base import NO_BACKEND, OVERFLOW, BalancerStats, Pick
from .capacity import CapacityReport, Scenario, SiteLoad, capacity_report
from .locality import TrafficSplit, site_traffic_split
from .topology import Backend, Site, Topology
from ._admission import Decision, KeyedTokenBuckets, SessionGate, TokenBucket
from ._cache import CacheStats, LRUCache, S3FIFOCache, SieveCache
from .trace import (Method, ParamError, Trace, TraceFormatError, TruncatedInputError, iter_trace,
                    read_trace)

try:
    __version__ = _version("runiso_core")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    "ConsistentHash",
    "JumpHash",
    "KetamaRing",
    "MaglevTable",
    "RendezvousHash",
    "hash64",
    "hash64_many",
    "Backend",
    "BalancerStats",
    "CapacityReport",
    "NO_BACKEND",
    "OVERFLOW",
    "Pick",
    "Scenario",
    "Site",
    "SiteBalancer",
    "SiteLoad",
    "Topology",
    "TrafficSplit",
    "capacity_report",
    "site_traffic_split",
    "TokenBucket",
    "KeyedTokenBuckets",
    "SessionGate",
    "Decision",
    "CacheStats",
    "LRUCache",
    "SieveCache",
    "S3FIFOCache",
    "iter_trace",
    "read_trace",
    "Trace",
    "Method",
    "TraceFormatError",
    "TruncatedInputError",
    "ParamError",
]
