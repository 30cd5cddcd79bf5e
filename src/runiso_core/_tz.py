"""Time zones for timestamps that carry none (HAProxy, Tencent, zone-less ISO-8601).

:func:`resolve_tz` turns a user's zone (``"UTC"``, ``"+08:00"``, ``"Europe/Paris"``)
into what the C parsers take: a fixed offset in seconds, or a table of
local-time thresholds with the offset in force from each on. The table is
built once per zone from the IANA database (:mod:`zoneinfo`) over the years
the parsers accept (1900-2261), so the nogil loop converts local times with a
binary search and no library call. A local time in a daylight-saving gap or
overlap takes the offset in force *before* the change, as Python does with
``fold=0``.
"""
from __future__ import annotations

import datetime as dt
import functools
import re

import numpy as np

__all__ = ["resolve_tz", "TzSpecError"]

_FIXED = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$")
_START = int(dt.datetime(1900, 1, 1, tzinfo=dt.timezone.utc).timestamp())
_END = int(dt.datetime(2262, 1, 1, tzinfo=dt.timezone.utc).timestamp())
_STEP = 7 * 86400   # offsets are sampled weekly, then each change is bisected to the second
_I64_MIN = np.iinfo(np.int64).min


class TzSpecError(ValueError):
    """A time zone that is neither ``UTC``, a ``±HH[:MM]`` offset nor a known IANA name."""


def _offset_at(zone, t: int) -> int:
    return int(dt.datetime.fromtimestamp(t, zone).utcoffset().total_seconds())


@functools.lru_cache(maxsize=16)
def _table(name: str) -> int | tuple[np.ndarray, np.ndarray]:
    import zoneinfo

    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise TzSpecError(f"unknown time zone {name!r}: expected UTC, an offset like +08:00, "
                          f"or an IANA name like Asia/Shanghai") from None
    changes = []     # (utc instant of the change, offset before, offset after)
    t, off = _START, _offset_at(zone, _START)
    while t < _END:
        t2 = min(t + _STEP, _END)
        off2 = _offset_at(zone, t2)
        if off2 != off:
            lo, hi = t, t2          # off at lo, off2 at hi: find the first second of off2
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset_at(zone, mid) == off:
                    lo = mid
                else:
                    hi = mid
            changes.append((hi, off, off2))
        t, off = t2, off2
    first = _offset_at(zone, _START)
    if not changes:
        return first
    local = [_I64_MIN]
    offs = [first]
    for when, before, after in changes:
        # From this local time on the new offset applies; in a gap (after >
        # before) or an overlap (after < before) the earlier offset wins.
        local.append(when + max(before, after))
        offs.append(after)
    return np.array(local, np.int64), np.array(offs, np.int32)


def resolve_tz(spec: str | int | None, default: str | int = 0):
    """The parsers' form of a time zone.

    Parameters
    ----------
    spec : str, int or None
        ``"UTC"``/``"Z"``, a fixed offset ``"+08:00"``/``"-0500"``/``"+8"``, an
        IANA name (``"Europe/Paris"``, daylight saving included), an int
        (seconds east of UTC), or None for ``default``.
    default : str or int
        Used when ``spec`` is None.

    Returns
    -------
    int or (ndarray[int64], ndarray[int32])
        Seconds east of UTC, or (local-time thresholds, offsets) for a zone
        whose offset changed between 1900 and 2261.

    Raises
    ------
    TzSpecError
        An unknown zone or an offset of a day or more.
    """
    if spec is None:
        spec = default
    if isinstance(spec, bool):
        raise TzSpecError(f"expected a time zone, got {spec!r}")
    if isinstance(spec, int):
        if not -86400 < spec < 86400:
            raise TzSpecError(f"an offset must be within a day, got {spec} s")
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise TzSpecError(f"expected a time zone name or offset, got {spec!r}")
    s = spec.strip()
    if s.upper() in ("UTC", "Z", "GMT"):
        return 0
    m = _FIXED.match(s)
    if m:
        h, mi = int(m.group(2)), int(m.group(3) or 0)
        if h > 23 or mi > 59:
            raise TzSpecError(f"offset {spec!r} out of range: hours 0-23, minutes 0-59")
        return (1 if m.group(1) == "+" else -1) * (h * 3600 + mi * 60)
    return _table(s)
