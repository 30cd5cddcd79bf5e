"""``runiso trace``: statistics of captured traffic and a synthetic log generator."""
from __future__ import annotations

import json
import os
import sys

import click

from ._trace_types import ParamError
from .cli_input import (InputReport, empty_message, finish, malformed_lines, read_chunks,
                        trace_options)
from .cli_util import printable, quiet_broken_pipe
from .synth import MAX_CLIENTS, MAX_LINES

_SYNTH_OPTIONS = {"n": "-n' / '--lines", "output": "-o' / '--output"}


@click.group("trace")
def trace() -> None:
    """Read captured traffic (access logs, cache traces) or generate some."""


def _fmt_value(k: str, v) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.4f}" if "ratio" in k else f"{v:,.2f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    if isinstance(v, list):
        return ", ".join(map(str, v))
    return str(v)


_NOT_IN_TABLE = ("malformed_examples", "truncated")


def _render(stats: dict, report, read) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    t = Table(title="runiso trace stats", show_header=True, header_style="bold")
    t.add_column("metric")
    t.add_column("value", overflow="fold")
    section = None
    for k, v in stats.items():
        if k in _NOT_IN_TABLE:
            continue
        head = k.split("_")[0]
        if head in ("status", "method", "top", "lru") and head != section:
            t.add_section()
            section = head
        # Text: no rich markup in log content ("[red]" in a URL), no terminal controls
        t.add_row(k, Text(printable(_fmt_value(k, v))))
    console.print(t)
    for ln in malformed_lines(report, read.verbose, console.width):
        click.echo(ln)


@trace.command("stats")
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@trace_options
def stats_cmd(files, as_json, read) -> None:
    """Workload statistics of FILE... (read as one stream, in order; '-' = stdin).

    Requests, malformed lines, time span and 1-second request rates, distinct
    URLs and sessions, one-hit-wonder share, status/method mix, top 10 URLs,
    bytes served and the LRU hit ratio at 1/5/10% of the distinct objects.
    Statistics the trace has no column for are shown as n/a.
    """
    from .trace_stats import TraceStatsBuilder

    report = InputReport()
    # the LRU figures need the distinct count first: files are read twice,
    # what cannot be (stdin, a pipe) keeps its keys (8 bytes per request)
    twice = all(f != "-" and os.path.isfile(f) for f in files)
    b = TraceStatsBuilder(keep_keys=not twice)
    for path, ch in read_chunks(files, read, report, with_strings="url"):
        b.add(ch, report.files[-1].path)
    st = b.result(lambda: (ch.key for _, ch in read_chunks(files, read, InputReport())))
    st["files"] = [f.path for f in report.files]
    if as_json:
        click.echo(json.dumps(st, ensure_ascii=False))
    if report.empty:
        click.echo(empty_message(report), err=as_json)
    elif not as_json:
        _render(st, report, read)
    finish(report, read)


@trace.command("synth")
@click.option("-n", "--lines", "n", default=100_000, show_default=True,
              type=click.IntRange(0, MAX_LINES), help="Number of log lines.")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
@click.option("--products", default=10_000, show_default=True, type=click.IntRange(20),
              help="Catalogue size (SKUs).")
@click.option("--alpha", default=0.9, show_default=True, type=click.FloatRange(min=0.01),
              help="Zipf exponent of product popularity.")
@click.option("--pages-per-session", default=6.0, show_default=True,
              type=click.FloatRange(min=1), help="Mean page views per session.")
@click.option("--cart-rate", default=0.12, show_default=True, type=click.FloatRange(0, 1),
              help="Share of sessions that add to cart.")
@click.option("--checkout-rate", default=0.35, show_default=True, type=click.FloatRange(0, 1),
              help="Share of carting sessions that check out.")
@click.option("--clients", default=None, type=click.IntRange(1, MAX_CLIENTS),
              help="Distinct client addresses (default: 70% of the sessions).")
@click.option("--days", default=1.0, show_default=True, type=click.FloatRange(min=0.001),
              help="Time span of the arrivals.")
@click.option("--start", default="2026-11-27T00:00:00Z", show_default=True,
              help="ISO-8601 start time (UTC if no zone).")
@click.option("--flash-sale", default=None, metavar="START:DURATION:FACTOR",
              help="Arrival surge, e.g. 12h:30m:8 (x8 arrivals for 30 min from 12:00).")
@click.option("-o", "--output", required=True, type=click.Path(allow_dash=True),
              help="Output file ('-' = stdout); .gz, .bz2, .xz and .zst are compressed.")
def synth_cmd(n, seed, products, alpha, pages_per_session, cart_rate, checkout_rate, clients,
              days, start, flash_sale, output) -> None:
    """Generate a realistic e-commerce access log (Combined Log Format).

    Zipf product popularity with static assets, sessions that browse, add to
    cart and check out, a diurnal curve and an optional flash-sale surge.
    Seeded: the same arguments give a byte-identical file.
    """
    from .synth import open_output, synth_lines, write_synth

    kw = dict(seed=seed, products=products, alpha=alpha, pages_per_session=pages_per_session,
              cart_rate=cart_rate, checkout_rate=checkout_rate, clients=clients, days=days,
              start=start, flash_sale=flash_sale)
    try:
        synth_lines(n, **kw)           # checks every option before the output is opened
        if output == "-":
            write_synth(sys.stdout.buffer, n, **kw)
            sys.stdout.buffer.flush()
        else:
            with open_output(output) as f:
                nbytes = write_synth(f, n, **kw)
            click.echo(f"wrote {n:,} lines ({nbytes / 1e6:,.1f} MB) to {output}", err=True)
    except ParamError as e:
        raise click.BadParameter(e.detail, param_hint=f"'{_SYNTH_OPTIONS.get(e.param, e.option)}'"
                                 ) from None
    except BrokenPipeError:
        quiet_broken_pipe()
    except OSError as e:
        raise click.ClickException(f"{output}: {e.strerror or e}") from None
