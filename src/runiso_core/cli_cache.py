"""``runiso cache``: replay a trace through LRU / SIEVE / S3-FIFO."""
from __future__ import annotations

import json
import math
import os
import shutil

import click

from .cli_input import (InputReport, ReadOptions, empty_message, finish, malformed_lines,
                        read_chunks, trace_options)
from .cli_util import value_callback
from .units import format_bytes, parse_capacity, parse_duration

_POLICY_NAMES = ("lru", "sieve", "s3fifo")


def _policies(ctx, param, values):
    if values and not "".join(values).replace(",", "").strip():
        raise click.BadParameter(f"no policy in {' '.join(values)!r}; expected a comma-separated "
                                 f"list of {', '.join(_POLICY_NAMES)}")
    out = []
    for v in values or ("lru,sieve,s3fifo",):
        for p in v.split(","):
            p = p.strip().lower()
            if not p:
                continue
            if p not in _POLICY_NAMES:
                raise click.BadParameter(f"unknown policy {p!r}; expected a comma-separated "
                                         f"list of {', '.join(_POLICY_NAMES)}")
            if p not in out:
                out.append(p)
    return out


def _ttl(text: str) -> float | None:
    ttl = parse_duration(text, what="TTL")
    return None if math.isinf(ttl) else ttl     # inf: objects never expire, as without --ttl


@click.group("cache")
def cache() -> None:
    """Cache policies (LRU, SIEVE, S3-FIFO) replayed on a trace."""


@cache.command("sim")
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("-c", "--capacity", "capacities", multiple=True, default=("1%", "10%"),
              show_default=True, metavar="CAP",
              help="Cache size: objects (10000), bytes (64MiB, 8GiB; 64MB = 64*10^6), or a "
                   "percentage/fraction of the working set (1%, 0.01: of the distinct objects, "
                   "or of their bytes with --bytes). Repeatable.")
@click.option("-p", "--policies", "policies", multiple=True, callback=_policies,
              metavar="LIST", help="Comma-separated policies: lru,sieve,s3fifo [default: all].")
@click.option("--bytes", "by_bytes", is_flag=True,
              help="Plain numbers and percentages are byte capacities (needs sizes).")
@click.option("--ttl", callback=value_callback(_ttl), default=None, metavar="DURATION",
              help="Default TTL of every object, e.g. 10m (needs request times).")
@click.option("--resize-on-hit", is_flag=True,
              help="A hit with another logged size resizes the object (cachetools' rule); "
                   "by default it keeps its stored size (libCacheSim's).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@trace_options
def sim(files, capacities, policies, by_bytes, ttl, resize_on_hit, as_json,
        read: ReadOptions) -> None:
    """Miss ratios of FILE... (read as one stream, in order; '-' = stdin) for
    each policy and capacity.

    Any format `trace stats` reads (access logs, CSV, key lists, cache2k/Scarab
    binary ids, .npy arrays, compressed or not). Object capacities count every
    request; byte capacities skip requests of size 0 (304/HEAD), as libCacheSim
    does. Miss ratios equal libCacheSim's (same working set, same rounding
    rule as `trace stats`).
    """
    from .cache_sim import MissingColumnError, buffered, columns_of, simulate

    caps = []
    for text in capacities:
        try:
            caps.append(parse_capacity(text, bytes_mode=by_bytes))
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="'-c' / '--capacity'") from None
    report = InputReport()
    chunks = (ch for _, ch in read_chunks(files, read, report))
    second = None
    if any(c.fraction is not None for c in caps):
        # a percentage needs the working set first: files are read twice, what
        # cannot be (stdin, a pipe, a FIFO, /dev/stdin) is kept in memory
        if any(f == "-" or not os.path.isfile(f) for f in files):
            chunks, second = buffered(chunks)
        else:
            def second():
                again = InputReport()
                return (columns_of(ch) for _, ch in read_chunks(files, read, again))
    try:
        rep = simulate(chunks, second, policies=policies, capacities=caps, ttl=ttl,
                       resize_on_hit=resize_on_hit)
    except MissingColumnError as e:
        opt = "--ttl" if e.column == "time_ns" else "--bytes / a byte capacity"
        raise click.ClickException(f"{opt}: {e} ({names_of(report)}: "
                                   f"{', '.join(report.formats)})") from None
    names = names_of(report)
    if as_json:
        d = rep.to_dict()
        d = {"files": [f.path for f in report.files], "format": ",".join(report.formats),
             "malformed": report.malformed, **d}
        click.echo(json.dumps(d))
    if report.empty:
        click.echo(empty_message(report), err=as_json)
        finish(report, read)
        return
    if not as_json:
        _render(names, report, rep, read)
    finish(report, read)


def names_of(report: InputReport) -> str:
    return ", ".join(f.path for f in report.files)


def _render(names: str, report: InputReport, rep, read: ReadOptions) -> None:
    ws = f"{rep.distinct_objects:,} distinct objects"
    if rep.distinct_bytes is not None:
        ws += f" ({format_bytes(rep.distinct_bytes)})"
    click.echo(f"{names}: {rep.requests:,} requests ({', '.join(report.formats)}), {ws}"
               + (f", {report.malformed:,} malformed lines" if report.malformed else ""))
    if rep.skipped_unsized:
        click.echo(f"byte capacities: {rep.skipped_unsized:,} requests of size 0 (no object "
                   f"size: 304/HEAD) skipped, as libCacheSim does")
    if rep.ttl is not None:
        click.echo(f"default TTL {rep.ttl:g} s"
                   + (f"; {rep.backwards_time:,} requests logged before the previous one are "
                      f"replayed at the latest time (the clock never goes back)"
                      if rep.backwards_time else ""))
    show_bytes = rep.has_sizes
    head = f"{'capacity':>10} {'bound':>16} {'policy':>7} {'miss ratio':>10}"
    if show_bytes:
        head += f" {'byte miss':>9}"
    if rep.ttl is not None:
        head += f" {'expired':>9}"
    click.echo(head)
    for r in rep.results:
        bound = f"{r.bound:,} obj" if r.kind == "objects" else format_bytes(r.bound)
        line = f"{r.capacity:>10} {bound:>16} {r.policy:>7} {r.miss_ratio:10.4f}"
        if show_bytes:
            line += f" {r.byte_miss_ratio:9.4f}" if r.byte_miss_ratio is not None else \
                f" {'n/a':>9}"
        if rep.ttl is not None:
            line += f" {r.expired:9,}"
        click.echo(line)
    for ln in malformed_lines(report, read.verbose, shutil.get_terminal_size((80, 24)).columns):
        click.echo(ln)
