"""Pure-Python reference of the native log parsers (``ext/logparse.h``).

Written the usual way: one regular expression per line format, ``calendar.timegm``
for dates. It defines the expected columns and the malformed-line
classification in the differential tests, and is the "pure-Python regex
parser" baseline of ``bench/peers_parse.py``. Not meant to be fast.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re

from ._hashing import hash64
from ._parse import REASONS
from ._trace_types import Method

__all__ = ["parse_line", "parse_lines"]

E = {name: i for i, name in enumerate((
    "ok", "nul", "fields", "date", "quote", "status", "size", "time", "key", "client",
    "timers", "columns", "too_long", "truncated", "size_big"))}
assert len(E) == len(REASONS)

MONTHS = {m.encode(): i + 1 for i, m in enumerate(
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())}
METHODS = {m.name.encode(): int(m) for m in Method if m not in (Method.OTHER, Method.NONE)}

# A quoted field ends at the first unescaped '"' followed by a space or the end.
QUOTED = rb'"((?:\\.|[^\\"]|"(?! |$))*)"(?= |$)'
CLF = re.compile(
    rb'([^ ]+) [^ ]+ [^ ]+ '
    rb'\[(\d\d)/(...)/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\] '
    + QUOTED + rb' (\d{3}) (\d{1,18}|-)(?: (.*))?$', re.S)
QUOTED_RE = re.compile(QUOTED, re.S)

SL = rb'[+-]?\d{1,18}'
HAP_DATE = re.compile(rb' \[(\d\d)/(...)/(\d{4}):(\d\d):(\d\d):(\d\d)\.(\d{3})\]', re.S)
HAP_REST = re.compile(
    rb' [^ ]+ [^ ]*/[^ ]* ' + b"/".join([SL] * 5) + rb' (-1|\d{1,3}) \+?(\d{1,18}) '
    rb'([^ ]+) [^ ]+ [^ ]+ ' + b"/".join([SL] * 5) + b" " + b"/".join([SL] * 2)
    + rb'(?: \{[^}]*\})* "(.*)$', re.S)
HAP_CLIENT = re.compile(rb'(.+):(\d+)$', re.S)

PLAIN_SPLIT = re.compile(rb'[ \t]+')
SECONDS = re.compile(rb'(-?)(\d*)(?:\.(\d*))?$')
ISO = re.compile(rb'(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?'
                 rb'(Z|([+-])(\d\d):?(\d\d)?)?$')
UINT = re.compile(rb'\d{1,18}$')


def local_utc(y, mo, d, h, mi, s, tz) -> int:
    """UTC seconds of a zone-less civil time: ``tz`` is None/"UTC", seconds
    east of UTC, a ``±HH:MM`` string, or an IANA name (zoneinfo, ``fold=0``)."""
    naive = calendar.timegm((y, mo, d, h, mi, s))
    if tz is None or tz == "UTC":
        return naive
    if isinstance(tz, int):
        return naive - tz
    m = re.fullmatch(r"([+-])(\d\d):?(\d\d)?", tz)
    if m:
        return naive - (1 if m.group(1) == "+" else -1) * (int(m.group(2)) * 3600
                                                           + int(m.group(3) or 0) * 60)
    import zoneinfo
    sec = min(s, 59)   # datetime has no leap second: add it back after
    t = dt.datetime(y, mo, d, h, mi, sec, tzinfo=zoneinfo.ZoneInfo(tz)).timestamp()
    return int(t) + (s - sec)


def _civil_ok(y, mo, d, h, mi, s) -> bool:
    return (1900 <= y <= 2261 and 1 <= mo <= 12 and 1 <= d <= calendar.monthrange(y, mo)[1]
            and h <= 23 and mi <= 59 and s <= 60)


def method_code(tok: bytes) -> int:
    return METHODS.get(tok, int(Method.OTHER))


def request(req: bytes) -> tuple[int, bytes]:
    """(method, target) of a request line; see ext/logparse.h rl_request."""
    sp = req.find(b" ")
    if sp >= 0:
        target = req[sp:].lstrip(b" ").split(b" ", 1)[0]
        if target:
            return method_code(req[:sp]), target
    if req in (b"", b"-"):
        return int(Method.NONE), req
    return method_code(req[:sp] if sp >= 0 else req), req


def key_token(tok: bytes) -> int:
    if re.fullmatch(rb"\d{1,20}", tok) and int(tok) < 2**64:
        return int(tok)
    return hash64(tok)


def seconds_ns(tok: bytes):
    m = SECONDS.match(tok)
    if not m or (not m.group(2) and not m.group(3)) or len(m.group(2)) > 10:
        return None
    ip = int(m.group(2) or b"0")
    if ip > 9_200_000_000:
        return None
    ns = ip * 10**9 + int((m.group(3) or b"")[:9].ljust(9, b"0"))
    return -ns if m.group(1) else ns


def iso_ns(tok: bytes, tz=None):
    m = ISO.match(tok)
    if not m:
        return None
    y, mo, d, h, mi, s = (int(g) for g in m.group(1, 2, 3, 4, 5, 6))
    if not _civil_ok(y, mo, d, h, mi, s):
        return None
    frac = int((m.group(7) or b"")[:9].ljust(9, b"0"))
    if m.group(8) is None:          # no zone in the value: the trace's zone
        return local_utc(y, mo, d, h, mi, s, tz) * 10**9 + frac
    off = 0
    if m.group(9):
        th, tm = int(m.group(10)), int(m.group(11) or 0)
        if th > 23 or tm > 59:
            return None
        off = (th * 3600 + tm * 60) * (-1 if m.group(9) == b"-" else 1)
    return (calendar.timegm((y, mo, d, h, mi, s)) - off) * 10**9 + frac


def size_ok(tok: bytes) -> bool:
    """A byte count: 1..18 digits (more digits: 'byte count over 18 digits')."""
    return UINT.match(tok) is not None


def parse_clf(line: bytes):
    m = CLF.match(line)
    if not m:
        return None
    host = m.group(1)
    d, mon, y, hh, mm, ss = m.group(2, 3, 4, 5, 6, 7)
    mo = MONTHS.get(mon)
    if not mo or not _civil_ok(int(y), mo, int(d), int(hh), int(mm), int(ss)):
        return None
    th, tm = int(m.group(9)), int(m.group(10))
    if th > 23 or tm > 59:
        return None
    tz = (th * 3600 + tm * 60) * (-1 if m.group(8) == b"-" else 1)
    t = (calendar.timegm((int(y), mo, int(d), int(hh), int(mm), int(ss))) - tz) * 10**9
    method, url = request(m.group(11))
    size = 0 if m.group(13) == b"-" else int(m.group(13))
    ua = b""
    rest = m.group(14)
    if rest is not None and rest.startswith(b'"'):
        r = QUOTED_RE.match(rest)
        if r:
            after = rest[r.end():]
            if after.startswith(b' "'):
                u = QUOTED_RE.match(after, 1)
                ua = u.group(1) if u else after[2:]
    client = hash64(host)
    return (t, hash64(url), size, int(m.group(12)), method, client, hash64(ua, client), 0,
            url, ua)


def parse_haproxy(line: bytes, tz=None):
    for m in HAP_DATE.finditer(line):
        d, mon, y, hh, mm, ss, ms = m.group(1, 2, 3, 4, 5, 6, 7)
        mo = MONTHS.get(mon)
        if mo and _civil_ok(int(y), mo, int(d), int(hh), int(mm), int(ss)):
            break
    else:
        return None
    c = HAP_CLIENT.match(line[:m.start()].rsplit(b" ", 1)[-1])
    if not c:
        return None
    r = HAP_REST.match(line, m.end())
    if not r:
        return None
    t = local_utc(int(y), mo, int(d), int(hh), int(mm), int(ss), tz) * 10**9 + int(ms) * 10**6
    req = r.group(4)
    if req.endswith(b'"'):
        req = req[:-1]
    method, url = request(req)
    client = hash64(c.group(1))
    cookie = r.group(3)
    session = hash64(b"", client) if cookie == b"-" else hash64(cookie)
    return (t, hash64(url), int(r.group(2)), int(r.group(1)), method, client, session, 0,
            url, b"")


def parse_plain(line: bytes):
    toks = PLAIN_SPLIT.split(line.strip(b" \t"))
    if len(toks) < 3:
        return None
    t = seconds_ns(toks[0])
    if t is None or not UINT.match(toks[2]):
        return None
    return (t, key_token(toks[1]), int(toks[2]), 0, int(Method.NONE), 0, 0, 0, toks[1], b"")


CSV_QUOTED = re.compile(rb'"((?:[^"]|"")*)"', re.S)


def parse_csv(line: bytes, roles: list[str], delim: bytes, tz=None):
    n = len(roles)
    while n > 1 and roles[n - 1] == "ignore":
        n -= 1
    fields, pos = [], 0
    for i in range(n):
        if line[pos:pos + 1] == b'"':
            m = CSV_QUOTED.match(line, pos)
            if not m or (m.end() < len(line) and line[m.end():m.end() + 1] != delim):
                return None
            raw = m.group(1)
            fields.append((raw, raw.replace(b'""', b'"'), True))
            pos = m.end()
        else:
            j = line.find(delim, pos)
            j = len(line) if j < 0 else j
            raw = line[pos:j]
            fields.append((raw, raw, False))
            pos = j
        if i + 1 < n:
            if pos >= len(line):
                return None
            pos += 1
    t = key = size = status = client = session = site = 0
    method = int(Method.NONE)
    url = None
    key_raw = None
    have = set()
    for role, (raw, val, quoted) in zip(roles, fields):
        if role == "time":
            t = iso_ns(raw, tz) if len(raw) >= 10 and raw[4:5] == b"-" else seconds_ns(raw)
            if t is None:
                return None
        elif role == "key":
            if not raw:
                return None
            key = hash64(val) if b'""' in raw and quoted else key_token(raw)
            key_raw = raw
            have.add("key")
        elif role == "url":
            if "key" not in have:
                key = hash64(val)
            url = raw
            have.add("url")
        elif role in ("size", "status"):
            if raw in (b"", b"-"):
                v = 0
            elif not UINT.match(raw):
                return None
            else:
                v = int(raw)
            if role == "size":
                size = v
            elif v > 999:
                return None
            else:
                status = v
        elif role == "method":
            method = int(Method.NONE) if raw in (b"", b"-") else method_code(raw)
        elif role == "client":
            client = hash64(val)
            have.add("client")
        elif role == "session":
            session = hash64(val)
            have.add("session")
        elif role == "site":
            site = hash64(val)
    if "session" not in have:
        session = hash64(b"", client) if "client" in have else 0
    if url is None:
        url = key_raw if key_raw is not None else b""
    return (t, key, size, status, method, client, session, site, url, b"")


TENCENT_TS = re.compile(rb"(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$")


def parse_tencent(line: bytes, tz="+08:00"):
    """``YYYYMMDDhhmmss photo_id format spec size ...``; key ``photo_id/format/spec``."""
    toks = PLAIN_SPLIT.split(line.strip(b" \t"))
    if len(toks) < 5 or not toks[0]:
        return None
    m = TENCENT_TS.match(toks[0])
    if not m:
        return None
    y, mo, d, h, mi, s = (int(g) for g in m.groups())
    if not _civil_ok(y, mo, d, h, mi, s) or not size_ok(toks[4]):
        return None
    url = b"/".join(toks[1:4])
    if len(url) > 1024:
        return None
    t = local_utc(y, mo, d, h, mi, s, tz) * 10**9
    return (t, hash64(url), int(toks[4]), 0, int(Method.NONE), 0, 0, 0, url, b"")


def parse_keys(line: bytes):
    """``key [size]``: one request per line."""
    toks = PLAIN_SPLIT.split(line.strip(b" \t"))
    if not toks[0] or len(toks) > 2 or (len(toks) == 2 and not size_ok(toks[1])):
        return None
    size = int(toks[1]) if len(toks) == 2 else 0
    return (0, key_token(toks[0]), size, 0, int(Method.NONE), 0, 0, 0, toks[0], b"")


def parse_line(fmt: str, line: bytes, roles=None, delim: bytes = b",", tz=None):
    """Parse one line (without its newline and the one ``\r`` before it).
    Returns the row tuple ``(time_ns, key, size, status, method, client,
    session, site, url, ua)``, or None for a malformed line. ``tz``: the zone
    of zone-less timestamps (see :func:`local_utc`; Tencent default +08:00)."""
    if b"\x00" in line:
        return None
    if fmt == "clf":
        return parse_clf(line)
    if fmt == "haproxy":
        return parse_haproxy(line, tz)
    if fmt == "plain":
        return parse_plain(line)
    if fmt == "csv":
        return parse_csv(line, roles, delim, tz)
    if fmt == "tencent":
        return parse_tencent(line, "+08:00" if tz is None else tz)
    if fmt == "keys":
        return parse_keys(line)
    raise ValueError(f"format: unknown {fmt!r}")


def parse_lines(data: bytes, fmt: str, *, roles=None, delim: bytes = b",", first_line: int = 0,
                tz=None):
    """Parse a buffer of lines like the native driver.

    Returns ``(rows, malformed_line_numbers, blank_count, backwards_count)``.
    """
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    rows, bad, blank, back, last = [], [], 0, 0, None
    for i, line in enumerate(lines, first_line + 1):
        s = line[:-1] if line.endswith(b"\r") else line
        if not s.strip(b" \t"):
            blank += 1
            continue
        r = parse_line(fmt, s, roles, delim, tz)
        if r is None:
            bad.append(i)
            continue
        if last is not None and r[0] < last:
            back += 1
        last = r[0]
        rows.append(r)
    return rows, bad, blank, back
