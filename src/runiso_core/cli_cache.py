"""``runiso cache``: replay a key stream through LRU / SIEVE / S3-FIFO."""
from __future__ import annotations

import math
import pathlib

import click
import numpy as np

from ._cache import LRUCache, S3FIFOCache, SieveCache
from ._hashing import hash64_many

POLICIES = {"lru": LRUCache, "sieve": SieveCache, "s3fifo": S3FIFOCache}


def _load(path: pathlib.Path) -> tuple[np.ndarray, np.ndarray | None]:
    """uint64 keys (+ int64 sizes) from a .npy of uint64 keys, or a text file of
    ``key [size]`` lines (integer keys are taken as pre-hashed, others hashed)."""
    if path.suffix == ".npy":
        try:
            keys = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:   # not a .npy, truncated, or pickled objects
            raise click.BadParameter(f"{path}: not a readable .npy array of keys: {exc}") from None
        if not isinstance(keys, np.ndarray) or keys.dtype.kind not in "iu":
            raise click.BadParameter(f"{path}: expected an integer .npy array, got dtype "
                                     f"{getattr(keys, 'dtype', type(keys).__name__)}")
        if keys.ndim != 1:
            raise click.BadParameter(f"{path}: expected a 1-D array of keys, got shape {keys.shape}")
        return np.ascontiguousarray(keys.astype(np.int64, copy=False).view(np.uint64)
                                    if keys.dtype.kind == "i" else keys, dtype=np.uint64), None
    # bytes, not str: a key is hashed as the bytes logged (hash64 of a str is that of its
    # UTF-8), so invalid UTF-8 in a key is no error
    words, sizes = [], []
    with open(path, "rb") as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            words.append(parts[0])
            if len(parts) > 1:
                size = parts[1].decode("ascii", "replace")
                try:
                    sizes.append(int(size))
                except ValueError:
                    raise click.BadParameter(f"{path}:{lineno}: size {size!r:.40} is not an int") from None
    if sizes and len(sizes) != len(words):
        raise click.BadParameter(f"{path}: some lines have a size and some do not")
    if all(w.isdigit() for w in words) and all(int(w) < 2**64 for w in words):
        keys = np.array([int(w) for w in words], dtype=np.uint64)
    else:
        keys = hash64_many(words)
    try:
        return keys, (np.array(sizes, dtype=np.int64) if sizes else None)
    except OverflowError:
        raise click.BadParameter(f"{path}: a size does not fit in int64") from None


def _capacity(spec: str, distinct: int) -> int:
    if spec.endswith("%"):
        pct = float(spec[:-1])
        if not (math.isfinite(pct) and pct > 0):
            raise ValueError(spec)
        return max(1, int(distinct * pct / 100))
    return int(spec)


@click.group("cache")
def cache() -> None:
    """Cache policies (LRU, SIEVE, S3-FIFO) on a key stream."""


@cache.command("sim")
@click.argument("trace", type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path))
@click.option("--capacity", "-c", "capacities", multiple=True, default=["1%", "10%"], show_default=True,
              help="Entries (or bytes with --bytes), or a percentage of the distinct keys. Repeatable.")
@click.option("--policy", "-p", "policies", multiple=True, type=click.Choice(sorted(POLICIES)),
              default=sorted(POLICIES), show_default=True)
@click.option("--bytes", "by_bytes", is_flag=True, help="Capacity in bytes using the size column.")
def sim(trace: pathlib.Path, capacities, policies, by_bytes: bool) -> None:
    """Miss ratios of TRACE (.npy of uint64 keys, or text lines `key [size]`)."""
    keys, sizes = _load(trace)
    if keys.size == 0:
        raise click.ClickException(f"{trace}: no requests (empty trace): nothing to simulate")
    if by_bytes and sizes is None:
        raise click.BadParameter("--bytes needs a size column in the trace")
    distinct = int(np.unique(keys).size)
    if by_bytes:
        first = np.unique(keys, return_index=True)[1]
        distinct = int(sizes[first].sum())
    click.echo(f"{trace.name}: {keys.size:,} requests, {np.unique(keys).size:,} distinct keys")
    click.echo(f"{'capacity':>14} {'policy':>7} {'miss':>8} {'byte miss':>9}")
    for spec in capacities:
        try:
            cap = _capacity(spec, distinct)
        except ValueError:
            raise click.BadParameter(f"capacity {spec!r}: expected an int or a percentage like 10%") from None
        for name in policies:
            kw = {"capacity_bytes": cap} if by_bytes else {"max_entries": cap}
            try:
                c = POLICIES[name](**kw)
            except (TypeError, ValueError) as exc:
                raise click.BadParameter(f"capacity {spec!r}: {exc}") from None
            try:
                c.access_many(keys, sizes=sizes if by_bytes else None)
            except ValueError as exc:   # the cache validates sizes
                raise click.BadParameter(f"{trace}: {exc}") from None
            s = c.stats
            click.echo(f"{cap:>14,} {name:>7} {1 - s.hit_ratio:8.4f} {1 - s.byte_hit_ratio:9.4f}")
