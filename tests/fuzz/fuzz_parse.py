"""atheris harness for the native log parsers (not collected by pytest).

Run:  pip install atheris && python tests/fuzz/fuzz_parse.py [-runs=1000000] [corpus_dir]

Each input's first byte picks the format (clf / haproxy / plain / csv), the rest
is fed as a buffer of lines to ``ChunkParser`` with a tiny chunk size (so the
chunk boundary logic runs too). It must never crash, and every line must be
counted once as parsed, malformed or blank; for each line the native verdict
must agree with the pure-Python reference.
"""
import sys

import atheris

with atheris.instrument_imports():
    from runiso_core import _parse_py
    from runiso_core._parse import ChunkParser

FORMATS = ["clf", "haproxy", "plain", "csv"]
ROLES = ["time", "key", "size", "client", "status"]


def TestOneInput(data: bytes) -> None:
    if not data:
        return
    fmt = FORMATS[data[0] % 4]
    buf = data[1:]
    roles = ROLES if fmt == "csv" else None
    p = ChunkParser(fmt, 3, roles=roles, max_examples=10)
    pos, n = 0, 0
    while True:
        pos = p.feed(buf, pos, True)
        n += len(p.take()["key"])
        if pos >= len(buf):
            break
    lines = buf.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    assert n + p.malformed + p.blank == len(lines) == p.line_no
    rows, bad, blank, _ = _parse_py.parse_lines(buf, fmt, roles=roles)
    assert (len(rows), len(bad), blank) == (n, p.malformed, p.blank)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
