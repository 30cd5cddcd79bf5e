"""Quantities as users write them: byte sizes, durations, cache capacities.

One grammar for the command line and (later) the topology file:

* **sizes** -- ``512``, ``512B``, ``64KiB``, ``64MiB``, ``8GiB`` (powers of 1024),
  ``64KB``, ``1.5GB`` (powers of 1000, as SI and the IEC say), ``64k``/``64m``/``8g``
  (NGINX's single letters: powers of 1024). libCacheSim reads ``MB`` as MiB;
  write ``MiB`` to mean that.
* **durations** -- ``30``, ``30s``, ``500ms``, ``10m``, ``1.5h``, ``2d``; ``inf`` = never.
* **capacities** -- an object count (``10000``), a byte size (``64MiB``), a
  percentage (``1%``) or a fraction (``0.01``, libCacheSim's style) of the
  working set: of the distinct objects, or of their bytes for a byte capacity.

A percentage becomes a count with :func:`fraction_of`, the one rounding rule
every command uses: ``max(1, round-half-up(total * fraction))``, computed
exactly (so ``1%`` of 13,756 objects is 138, as ``trace stats`` reports).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["parse_size", "parse_duration", "parse_capacity", "Capacity", "fraction_of",
           "format_bytes"]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]*)\s*$")
_UNITS = {"": 1, "b": 1,
          "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50,
          "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "pb": 10**15,
          "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|min|h|d|)\s*$", re.I)
_SECONDS = {"ms": Fraction(1, 1000), "s": 1, "": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
_MAX = (1 << 63) - 2          # the cores refuse bounds >= 2**63 - 1 ("no bound")


def parse_size(text: str, *, what: str = "size") -> int:
    """Bytes of a size such as ``64MiB``; raises ValueError naming ``what``.

    A fractional size must come out as a whole number of bytes (``1.5KiB`` is
    1536; ``1.5B`` is an error).
    """
    m = _SIZE.match(text) if isinstance(text, str) else None
    unit = m.group(2).lower() if m else None
    if not m or unit not in _UNITS:
        raise ValueError(f"{what} {text!r}: expected a byte size like 512, 64KiB, 64MiB, 8GiB "
                         f"or 1.5GB")
    v = Fraction(m.group(1)) * _UNITS[unit]
    if v.denominator != 1:
        raise ValueError(f"{what} {text!r} is not a whole number of bytes")
    if not 1 <= v <= _MAX:
        raise ValueError(f"{what} {text!r} must be between 1 byte and 2**63 - 2 bytes")
    return int(v)


def parse_duration(text: str, *, what: str = "duration") -> float:
    """Seconds of a duration such as ``10m``; ``inf`` (or ``never``) is ``math.inf``."""
    if isinstance(text, str) and text.strip().lower() in ("inf", "never", "none"):
        return math.inf
    m = _DURATION.match(text) if isinstance(text, str) else None
    if not m:
        raise ValueError(f"{what} {text!r}: expected a duration like 30s, 500ms, 10m, 1.5h, 2d "
                         f"(a bare number is seconds) or inf")
    v = Fraction(m.group(1)) * _SECONDS[m.group(2).lower()]
    if v >= 285 * 365 * 86400:
        raise ValueError(f"{what} {text!r} is over 285 years (use inf for never)")
    return float(v)


@dataclass(frozen=True)
class Capacity:
    """A cache capacity as given: ``kind`` is ``"objects"`` or ``"bytes"``;
    exactly one of ``amount`` (absolute) and ``fraction`` (of the working set)
    is set. ``text`` is what the user wrote."""

    kind: str
    amount: int | None
    fraction: Fraction | None
    text: str

    def resolve(self, distinct_objects: int, distinct_bytes: int | None) -> int:
        """The absolute bound for a working set of these sizes."""
        if self.amount is not None:
            return self.amount
        total = distinct_objects if self.kind == "objects" else distinct_bytes
        if total is None:
            raise ValueError(f"capacity {self.text!r}: the trace has no sizes, so a percentage "
                             f"of its bytes is unknown")
        return min(fraction_of(self.fraction, total), _MAX)


def parse_capacity(text: str, *, bytes_mode: bool = False) -> Capacity:
    """A capacity: ``10000`` (objects; bytes when ``bytes_mode``), ``64MiB``
    (bytes), ``1%`` or ``0.01`` (of the distinct objects, or of their bytes
    when ``bytes_mode``)."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"capacity {text!r}: expected a count, a size like 64MiB, or a "
                         f"percentage like 1%")
    s = text.strip()
    kind = "bytes" if bytes_mode else "objects"
    if s.endswith("%") or re.fullmatch(r"\d*\.\d*", s):
        num = s[:-1].strip() if s.endswith("%") else s
        try:
            f = Fraction(num)
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"capacity {text!r}: expected a percentage like 1% or 0.5%, or a "
                             f"fraction like 0.01") from None
        if s.endswith("%"):
            f /= 100
        elif f > 1:
            # libCacheSim's fraction spelling is for shares of the working set:
            # "1000.0" meaning 1000x it is far likelier a typo than an intent
            raise ValueError(f"capacity {text!r}: a fraction of the working set must be in "
                             f"(0, 1]; write {text}% or a count for more")
        if not f > 0:
            raise ValueError(f"capacity {text!r} must be more than 0")
        return Capacity(kind, None, f, s)
    if re.fullmatch(r"\d+", s):
        v = int(s)
        if not 1 <= v <= _MAX:
            raise ValueError(f"capacity {text!r} must be between 1 and 2**63 - 2")
        return Capacity(kind, v, None, s)
    m = _SIZE.match(s)
    if m and m.group(2).lower() in _UNITS:
        return Capacity("bytes", parse_size(s, what="capacity"), None, s)
    raise ValueError(f"capacity {text!r}: expected an object count (10000), a byte size "
                     f"(64MiB), or a percentage of the working set (1%)")


def fraction_of(fraction: Fraction | float, total: int) -> int:
    """``max(1, round-half-up(total * fraction))``, exactly: the one rule that
    turns "1 % of the working set" into a count, for every command."""
    f = Fraction(fraction)
    return max(1, math.floor(total * f + Fraction(1, 2)))


def format_bytes(n: int) -> str:
    """``1536`` -> ``'1.5 KiB'`` (for reports; exact counts go in JSON)."""
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            v = n / (1 << shift)
            return f"{v:.3g} {unit}" if v < 1000 else f"{v:,.0f} {unit}"
    return f"{n} B"
