from collections.abc import Sequence
from typing import Any, Union, final

import numpy as np
import numpy.typing as npt

from ._balance_base import BalancerOptions, BalancerStats
from .locality import TrafficSplit
from .topology import Topology

Key = Union[str, bytes, bytearray, memoryview, int]

@final
class SiteBalancer:
    """Site-aware weighted balancer with Envoy-style failover.

    Mutable (WRR state, in-flight counters, health) and thread-safe: every method
    takes a per-object lock; ``pick_many`` runs without the GIL. Routing between
    sites follows :func:`runiso_core.site_traffic_split`; inside a site the policy
    is NGINX smooth WRR ("wrr"), Envoy-weighted power of two choices ("p2c") or
    consistent hashing with optional bounded load ("hash").
    """

    topology: Topology
    policy: str
    options: BalancerOptions
    split: TrafficSplit
    def __init__(
        self,
        topology: Topology,
        *,
        policy: str = "wrr",
        overprovisioning: float = 1.4,
        panic_threshold: float = 0.5,
        hash_algorithm: str = "maglev",
        table_size: int = 65537,
        balance_factor: float | None = None,
        spill_on_capacity: bool = False,
        seed: int = 0,
        inflight_window: float | None = 1.0,
    ) -> None: ...
    def pick(self, site: str | int, *, key: Key | None = None, now: float | None = None) -> int:
        """Backend index for one request arriving at ``site``; ``NO_BACKEND`` (-1) or ``OVERFLOW`` (-2)."""
    def pick_many(
        self,
        sites: npt.NDArray[np.int32] | Sequence[int] | Sequence[str],  # const int32_t[::1]
        keys: npt.NDArray[np.uint64] | Sequence[Key] | None = None,  # const uint64_t[::1]
        times: npt.NDArray[np.float64] | Sequence[float] | None = None,  # const double[::1], seconds
    ) -> npt.NDArray[np.int32]:
        """Batch ``pick`` (nogil loop); identical decisions to per-call picks in order."""
    def release(self, backend: str | int) -> None:
        """One request on ``backend`` finished (in-flight - 1; ignored and counted when already 0)."""
    def set_backend_up(self, backend: str | int, up: bool) -> None:
        """Mark a backend up/down (recomputes the site split)."""
    def set_site_up(self, site: str | int, up: bool) -> None:
        """Mark a site up/down; a down site gets no traffic, not even in panic."""
    def is_backend_up(self, backend: str | int) -> bool: ...
    def is_site_up(self, site: str | int) -> bool: ...
    def backend_name(self, i: int) -> str:
        """Name of backend ``i``."""
    def backend_site(self, i: int) -> int:
        """Site index of backend ``i``."""
    def in_flight(self) -> npt.NDArray[np.int64]:
        """In-flight count of every backend."""
    @property
    def stats(self) -> BalancerStats:
        """Snapshot of the counters (never half of a batch running in another thread)."""
    def _check(self) -> None:
        """Verify the internal invariants (testing aid); AssertionError names the broken one."""

def _sites_array(topology: Topology, sites: Any) -> npt.NDArray[np.int32]: ...
def _times_array(arr: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
