"""``runiso hash``: which node each key maps to."""
from __future__ import annotations

import math
import sys

import click

from ._hashing import DEFAULT_TABLE_SIZE, JumpHash, KetamaRing, MaglevTable, RendezvousHash

ALGORITHMS = {
    "maglev": MaglevTable,
    "ketama": KetamaRing,
    "rendezvous": RendezvousHash,
    "jump": JumpHash,
}


def parse_nodes(spec: str) -> dict[str, int | float]:
    """Parse ``a=3,b=1,c`` into ``{"a": 3, "b": 1, "c": 1}`` (weight 1 when omitted).

    Raises ``ValueError`` naming the offending entry.
    """
    nodes: dict[str, int | float] = {}
    if not spec.strip():
        raise ValueError("empty node list; expected e.g. 'a=3,b=1,c=1'")
    for entry in spec.split(","):
        name, sep, weight_text = entry.partition("=")
        name = name.strip()
        if not name:
            raise ValueError(f"entry {entry!r} has no node name; expected NAME or NAME=WEIGHT")
        if name in nodes:
            raise ValueError(f"duplicate node name {name!r}")
        if not sep:
            nodes[name] = 1
            continue
        weight_text = weight_text.strip()
        try:
            weight: int | float = int(weight_text)
        except ValueError:
            try:
                weight = float(weight_text)
            except ValueError:
                raise ValueError(f"weight of node {name!r} is not a number: {weight_text!r}") from None
        if not math.isfinite(weight) or weight <= 0:
            raise ValueError(f"weight of node {name!r} must be a positive finite number, got {weight_text!r}")
        nodes[name] = weight
    return nodes


class NodesParam(click.ParamType):
    name = "NAME[=WEIGHT],..."

    def convert(self, value, param, ctx):
        if isinstance(value, dict):
            return value
        try:
            return parse_nodes(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


@click.command("hash")
@click.argument("keys", nargs=-1, metavar="KEY...")
@click.option("--nodes", "-n", type=NodesParam(), required=True,
              help="Nodes and optional integer/float weights, e.g. 'a=3,b=1,c=1'.")
@click.option("--algorithm", "-a", type=click.Choice(sorted(ALGORITHMS)), default="maglev",
              show_default=True, help="Consistent-hashing algorithm.")
@click.option("--table-size", type=click.IntRange(min=2), default=None,
              help=f"Maglev table size (a prime >= number of nodes) [default: {DEFAULT_TABLE_SIZE}].")
def hash_command(keys: tuple[str, ...], nodes: dict, algorithm: str, table_size: int | None) -> None:
    """Print KEY<TAB>NODE for each KEY (hashed as a UTF-8 string).

    With no KEY arguments, keys are read from standard input, one per line.
    Placement depends only on the node names and weights, never on their order.

    \b
    Example:
      runiso hash /index.html /product/42 --nodes a=3,b=1,c=1 --algorithm maglev
    """
    cls = ALGORITHMS[algorithm]
    options = {}
    if table_size is not None:
        if cls is not MaglevTable:
            raise click.UsageError("--table-size applies only to --algorithm maglev")
        options["table_size"] = table_size
    try:
        ring = cls(nodes, **options)
    except (ValueError, TypeError) as e:
        raise click.UsageError(str(e)) from None
    # Keys are hashed as the bytes given: argv comes back to its bytes through
    # surrogateescape and stdin is read as bytes, so a key that is not valid UTF-8
    # (as found in real logs) is hashed and echoed as-is instead of failing.
    if keys:
        raw = [k.encode("utf-8", "surrogateescape") for k in keys]
    else:
        raw = [line.rstrip(b"\r\n") for line in sys.stdin.buffer]
    try:
        idx = ring.lookup_many(raw)
    except (ValueError, TypeError) as e:  # e.g. a lone surrogate that is not an escaped byte
        raise click.UsageError(str(e)) from None
    names = [f"\t{n}\n".encode() for n in ring.nodes]
    idx_list = idx.tolist()
    out = sys.stdout.buffer
    for start in range(0, len(raw), 65536):  # bounded output chunks
        out.write(b"".join(key + names[i] for key, i in
                           zip(raw[start:start + 65536], idx_list[start:start + 65536])))
    out.flush()
