"""atheris harness for the native log parsers (not collected by pytest).

Run:  pip install atheris && python tests/fuzz/fuzz_parse.py [-runs=1000000] [-max_total_time=60] \
          tests/fuzz/corpus/parse

An input's first line names the format as the seed files of
``tests/fuzz/corpus/parse`` do (``clf``, ``csv ignore,time,ignore,size,key``,
...); any other first byte picks one (csv with fixed roles). The rest is a
buffer of lines. ``ChunkParser`` (3-row chunks, so the chunk boundary logic
runs too) must agree with the pure-Python reference on every line and count
every line once as parsed, malformed or blank (``_fuzz_util.check_parse``);
``iter_trace`` must read it the same trickled a few bytes at a time as in
one block.
"""
import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # tests/: the shared helpers

with atheris.instrument_imports():
    from _fuzz_util import (TEXT_FORMATS, Trickle, check_parse, parse_header, read_outcome,
                            whole)

ROLES = ["time", "key", "size", "client", "status"]


def split_input(data: bytes):
    """(parser format, iter_trace format, roles, delimiter, buffer) of one input."""
    first, _, rest = data.partition(b"\n")
    head = parse_header(first)
    if head is not None:
        return head + (rest,)
    name = TEXT_FORMATS[data[0] % len(TEXT_FORMATS)]
    roles = ROLES if name in ("csv", "tsv") else None
    return ("csv" if name == "tsv" else name, name, roles, "\t" if name == "tsv" else ",",
            data[1:])


def TestOneInput(data: bytes) -> None:
    if not data:
        return
    fmt, trace_format, roles, delim, buf = split_input(data)
    check_parse(fmt, buf, roles=roles, delim=delim, capacity=3)
    if roles is None:    # (a CSV needs its header to be read by iter_trace)
        nl = buf.find(b"\n")
        first = len(buf) if nl < 0 else max(6, nl + 1)
        at_once = read_outcome(whole(buf), format=trace_format)
        trickled = read_outcome(Trickle(buf, first, (1, 7, 3)), format=trace_format, chunk_size=2)
        assert trickled.same_result(at_once), (trickled, at_once)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
