from collections.abc import Iterable, Sequence
from typing import Union

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
