"""Native parsers vs the pure-Python regex reference, and fuzzing.

Hypothesis builds realistic lines of every format from parts, mutates them
(byte edits at random places, truncation, special characters), and checks
that the C tokenizers give the same columns on valid lines and the same
malformed-line classification as ``runiso_core._parse_py``. A fuzz test throws
random bytes at every parser: no crash, and every line is counted as parsed,
malformed or blank.
"""
import calendar

from hypothesis import HealthCheck, given, settings, strategies as st

from _fuzz_util import ZONE_NAMES, check_lines, mutate, parse_native, physical_lines
from runiso_core import _parse_py as ref

ZONES = st.sampled_from(ZONE_NAMES)

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


token = st.text(alphabet=st.characters(codec="utf-8", exclude_characters=" \n\x00"),
                min_size=1, max_size=12).map(lambda s: s.encode())
free = st.text(alphabet=st.sampled_from(list('abc/?=&"\\ -.xyz%é')), max_size=20).map(
    lambda s: s.encode())


@st.composite
def clf_date(draw, ms=False):
    y = draw(st.integers(1899, 2262))
    mo = draw(st.integers(1, 12))
    d = draw(st.integers(1, 31))
    h, mi, s = draw(st.integers(0, 24)), draw(st.integers(0, 60)), draw(st.integers(0, 60))
    out = f"{d:02d}/{MONTHS[mo - 1]}/{y:04d}:{h:02d}:{mi:02d}:{s:02d}"
    if ms:
        out += f".{draw(st.integers(0, 999)):03d}"
    else:
        out += f" {draw(st.sampled_from('+-'))}{draw(st.integers(0, 24)):02d}{draw(st.integers(0, 60)):02d}"
    return out.encode()


@st.composite
def request(draw):
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return b"-"
    m = draw(st.sampled_from([b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"PATCH", b"OPTIONS",
                              b"CONNECT", b"TRACE", b"BREW", b"get"]))
    target = draw(free.filter(lambda s: b'"' not in s) | st.just(b"/a?b=1"))
    if kind == 1:
        return m + b" " + target
    return m + b" " + target + b" HTTP/1." + draw(st.sampled_from([b"0", b"1"]))


@st.composite
def clf_line(draw):
    host = draw(st.sampled_from([b"1.2.3.4", b"::1", b"2001:db8::2", b"host.example"]) | token)
    parts = [host, b" ", draw(st.sampled_from([b"-", b"id"])), b" ",
             draw(st.sampled_from([b"-", b"bob"])), b" [", draw(clf_date()), b'] "',
             draw(request()), b'" ', str(draw(st.integers(0, 1200))).encode(), b" ",
             draw(st.sampled_from([b"-", b"0", b"123", b"99999999999999999999"]) |
                  st.integers(0, 10**6).map(lambda v: str(v).encode()))]
    if draw(st.booleans()):
        parts += [b' "', draw(free), b'" "', draw(free), b'"']
        if draw(st.booleans()):
            parts += [b" ", draw(free)]
    line = b"".join(parts)
    return mutate(draw, line) if draw(st.booleans()) else line


@st.composite
def hap_line(draw):
    sl = lambda n: b"/".join(draw(st.sampled_from([b"0", b"-1", b"+5", b"12"])) for _ in range(n))
    client = draw(st.sampled_from([b"10.0.0.1:443", b"[::1]:8080", b"10.0.0.1", b":80"]))
    parts = []
    if draw(st.booleans()):
        parts.append(b"Feb  6 12:14:14 lb haproxy[123]: ")
    parts += [client, b" [", draw(clf_date(ms=True)), b"] fe be/srv ", sl(5), b" ",
              draw(st.sampled_from([b"200", b"-1", b"503", b"0042"])), b" ",
              draw(st.sampled_from([b"123", b"+77", b"-"])), b" ",
              draw(st.sampled_from([b"-", b"SID=xyz"])), b" - ---- ", sl(5), b" ", sl(2)]
    if draw(st.booleans()):
        parts.append(b" {" + draw(free).replace(b"}", b"") + b"}")
    parts += [b' "', draw(request()), draw(st.sampled_from([b'"', b""]))]
    line = b"".join(parts)
    return mutate(draw, line) if draw(st.booleans()) else line


@st.composite
def plain_line(draw):
    t = draw(st.sampled_from([b"1", b"1.5", b"-2.25", b".5", b"5.", b"99999999999", b"x"]) |
             st.integers(0, 2**34).map(lambda v: str(v).encode()))
    k = draw(st.sampled_from([b"42", b"18446744073709551615", b"18446744073709551616", b"/a"]) |
             token)
    s = draw(st.sampled_from([b"0", b"10", b"-", b"1e3"]))
    sep = draw(st.sampled_from([b" ", b"\t", b"  "]))
    line = sep.join([t, k, s]) + draw(st.sampled_from([b"", b" extra"]))
    return mutate(draw, line) if draw(st.booleans()) else line


ROLES = ["time", "key", "size", "client", "session", "status", "method", "site", "url",
         "ignore"]


@st.composite
def csv_line(draw):
    def field():
        v = draw(st.sampled_from([b"1", b"1.5", b"2024-01-02T03:04:05Z",
                                  b"2024-01-02 03:04:05.5+01:00", b"-", b"", b"GET", b"200",
                                  b"/p?q=1", b"7"]) | free.filter(lambda s: b"," not in s))
        if draw(st.booleans()):
            v = b'"' + v.replace(b'"', b'""') + b'"'
        return v
    line = b",".join(field() for _ in range(draw(st.integers(1, 6))))
    return mutate(draw, line) if draw(st.booleans()) else line


@SETTINGS
@given(st.lists(clf_line() | st.just(b"") | st.just(b" \r"), min_size=1, max_size=10))
def test_clf_matches_reference(lines):
    check_lines("clf", lines)


@SETTINGS
@given(st.lists(hap_line(), min_size=1, max_size=10), ZONES)
def test_haproxy_matches_reference(lines, tz):
    check_lines("haproxy", lines, tz=tz)


@SETTINGS
@given(st.lists(plain_line(), min_size=1, max_size=10))
def test_plain_matches_reference(lines):
    check_lines("plain", lines)


@SETTINGS
@given(st.lists(csv_line(), min_size=1, max_size=10),
       st.lists(st.sampled_from(ROLES), min_size=1, max_size=6, unique=True).filter(
           lambda r: "key" in r or "url" in r))
def test_csv_matches_reference(lines, roles):
    check_lines("csv", lines, roles=roles)


@st.composite
def zone_less_iso(draw):
    # around the DST changes of the zones above, and anywhere in 1900-2261
    y = draw(st.sampled_from([1900, 1916, 1945, 1976, 1996, 2024, 2025, 2100, 2261]) |
             st.integers(1900, 2261))
    mo = draw(st.sampled_from([3, 4, 10, 11]) | st.integers(1, 12))
    d = draw(st.integers(1, 28))
    h = draw(st.sampled_from([0, 1, 2, 3]) | st.integers(0, 23))
    return (f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{draw(st.integers(0, 59)):02d}:"
            f"{draw(st.integers(0, 60)):02d}").encode()


@SETTINGS
@given(st.lists(zone_less_iso(), min_size=1, max_size=20), ZONES)
def test_zone_less_csv_times_match_zoneinfo(times, tz):
    check_lines("csv", [t + b",/x" for t in times], roles=["time", "url"], tz=tz)


@st.composite
def tencent_line(draw):
    y, mo, d = draw(st.integers(1899, 2262)), draw(st.integers(1, 13)), draw(st.integers(1, 31))
    ts = f"{y:04d}{mo:02d}{d:02d}{draw(st.integers(0, 24)):02d}{draw(st.integers(0, 60)):02d}" \
         f"{draw(st.integers(0, 60)):02d}".encode()
    pid = draw(st.sampled_from([b"085abb02a06850729bb01479466420d9e102d325", b"x"]) | token)
    parts = [ts, pid, draw(st.sampled_from([b"0", b"5"])), draw(st.sampled_from([b"a", b"m"])),
             draw(st.sampled_from([b"12903", b"0", b"-", b"99999999999999999999"])),
             b"1 PHONE 1"]
    if draw(st.booleans()):
        parts = parts[:5]
    line = draw(st.sampled_from([b" ", b"\t"])).join(parts)
    return mutate(draw, line) if draw(st.booleans()) else line


@SETTINGS
@given(st.lists(tencent_line(), min_size=1, max_size=10), ZONES)
def test_tencent_matches_reference(lines, tz):
    check_lines("tencent", lines, tz=tz)


@st.composite
def keys_line(draw):
    k = draw(st.sampled_from([b"42", b"18446744073709551616", b"/a?b"]) | token)
    parts = [k]
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from([b"10", b"-", b"0", b"1234567890123456789"])))
    if draw(st.integers(0, 4)) == 0:
        parts.append(b"extra")
    line = draw(st.sampled_from([b" ", b"\t", b"  "])).join(parts)
    return mutate(draw, line) if draw(st.booleans()) else line


@SETTINGS
@given(st.lists(keys_line(), min_size=1, max_size=10))
def test_keys_matches_reference(lines):
    check_lines("keys", lines)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["clf", "haproxy", "plain", "csv", "tencent",
                                                 "keys"]))
def test_fuzz_random_bytes_never_crash_and_count_every_line(data, fmt):
    roles = ["time", "key", "size"] if fmt == "csv" else None
    got = parse_native(fmt, data, roles=roles, capacity=7)
    assert len(got.rows) + got.malformed + got.blank == physical_lines(data) == got.line_no
    assert len(got.example_lines) == min(10, got.malformed)


def test_reference_dates_agree_on_every_day_of_a_leap_cycle():
    # Day arithmetic (days_from_civil) against calendar.timegm over 1900..2261 samples.
    lines = []
    for y in (1900, 1970, 1999, 2000, 2024, 2100, 2261):
        for mo in (1, 2, 3, 12):
            for d in (1, 28, 29, 30, 31):
                lines.append(f'h - - [{d:02d}/{MONTHS[mo - 1]}/{y}:23:59:60 -1159] "GET / '
                             f'HTTP/1.1" 200 1'.encode())
    got = parse_native("clf", b"\n".join(lines))
    rows, nbad = got.rows, got.malformed
    good = [ln for ln in lines if ref.parse_clf(ln) is not None]
    assert len(rows) == len(good) and nbad == len(lines) - len(good)
    assert [r[0] for r in rows] == [ref.parse_clf(ln)[0] for ln in good]
    assert rows[0][0] == (calendar.timegm((1900, 1, 1, 23, 59, 60)) + 11 * 3600 + 59 * 60) * 10**9


def test_regressions_found_by_atheris():
    # only one '\r' before the newline is a line ending; a second one is data
    check_lines("clf", [b'1.2.3.4 - - [17/May/2015:10:05:12 -0000] "GET /x HTTP/1.1" 200 76\r\r',
                  b"\r\r", b"\r"])
