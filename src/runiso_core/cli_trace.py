"""``runiso trace``: statistics of captured traffic and a synthetic log generator."""
from __future__ import annotations

import json
import os
import sys

import click

from ._trace_types import TraceFormatError
from .trace import FORMATS, MAX_CHUNK_SIZE


@click.group("trace")
def trace() -> None:
    """Read captured traffic (access logs, cache traces) or generate some."""


def _parse_columns(spec: str | None):
    if not spec:
        return None
    out = {}
    for part in spec.split(","):
        role, sep, col = part.partition("=")
        if not sep or not role or not col:
            raise click.BadParameter(f"expected role=column[,role=column...], got {spec!r}",
                                     param_hint="--columns")
        out[role.strip()] = int(col) if col.strip().isdigit() else col.strip()
    return out


def _fmt_value(k: str, v) -> str:
    if isinstance(v, float):
        return f"{v:.4f}" if "ratio" in k else f"{v:,.2f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    if isinstance(v, list):
        return ", ".join(map(str, v))
    return str(v)


def _render(stats: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    t = Table(title="runiso trace stats", show_header=True, header_style="bold")
    t.add_column("metric")
    t.add_column("value", overflow="fold")
    section = None
    for k, v in stats.items():
        head = k.split("_")[0]
        if head in ("status", "method", "top", "lru", "malformed") and head != section \
                and k not in ("malformed",):
            t.add_section()
            section = head
        t.add_row(k, _fmt_value(k, v))
    console.print(t)


@trace.command("stats")
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(FORMATS, case_sensitive=False),
              default=None, help="Input format (default: detected from the first lines).")
@click.option("--strict", is_flag=True, help="Stop at the first malformed line.")
@click.option("--json", "as_json", is_flag=True, help="Print one flat JSON object.")
@click.option("--columns", default=None, metavar="ROLE=COL,...",
              help="CSV/TSV column mapping, e.g. time=ts,key=lbn,size=bytes.")
@click.option("--chunk-size", default=1_000_000, show_default=True, type=click.IntRange(1, MAX_CHUNK_SIZE),
              help="Requests per parsed chunk (bounds memory).")
def stats_cmd(files, fmt, strict, as_json, columns, chunk_size) -> None:
    """Workload statistics of FILE... (read as one stream, in order; '-' = stdin).

    Requests, malformed lines, time span and 1-second request rates, distinct
    URLs and sessions, one-hit-wonder share, status/method mix, top 10 URLs,
    bytes served and the LRU hit ratio at 1/5/10% of the distinct objects.
    """
    from .trace_stats import trace_stats

    cols = _parse_columns(columns)
    sizes = {f: (os.path.getsize(f) if f != "-" and os.path.isfile(f) else None) for f in files}
    total = sum(s for s in sizes.values() if s) or None
    show = sys.stderr.isatty() and total is not None and total > (32 << 20)
    try:
        if show:
            from rich.console import Console
            from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn,
                                       TimeRemainingColumn, TransferSpeedColumn)
            order = list(files)
            with Progress(TextColumn("parsing"), BarColumn(), DownloadColumn(),
                          TransferSpeedColumn(), TimeRemainingColumn(), transient=True,
                          console=Console(stderr=True)) as bar:
                task = bar.add_task("parse", total=total)

                def progress(path, done, _size):
                    base = sum(sizes[f] or 0 for f in order[:order.index(path)])
                    bar.update(task, completed=base + done)
                st = trace_stats(files, format=fmt, strict=strict, chunk_size=chunk_size,
                                 columns=cols, progress=progress)
        else:
            st = trace_stats(files, format=fmt, strict=strict, chunk_size=chunk_size,
                             columns=cols)
    except TraceFormatError as e:
        raise click.ClickException(str(e)) from None
    except (OSError, ValueError) as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        click.echo(json.dumps(st, ensure_ascii=False))
    else:
        _render(st)


@trace.command("synth")
@click.option("-n", "--lines", "n", default=100_000, show_default=True, type=click.IntRange(0),
              help="Number of log lines.")
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
@click.option("--clients", default=None, type=click.IntRange(1),
              help="Distinct client addresses (default: 70% of the sessions).")
@click.option("--days", default=1.0, show_default=True, type=click.FloatRange(min=0.001),
              help="Time span of the arrivals.")
@click.option("--start", default="2026-11-27T00:00:00Z", show_default=True,
              help="ISO-8601 start time (UTC if no zone).")
@click.option("--flash-sale", default=None, metavar="START:DURATION:FACTOR",
              help="Arrival surge, e.g. 12h:30m:8 (x8 arrivals for 30 min from 12:00).")
@click.option("-o", "--output", required=True, type=click.Path(allow_dash=True),
              help="Output file ('-' = stdout).")
def synth_cmd(n, seed, products, alpha, pages_per_session, cart_rate, checkout_rate, clients,
              days, start, flash_sale, output) -> None:
    """Generate a realistic e-commerce access log (Combined Log Format).

    Zipf product popularity with static assets, sessions that browse, add to
    cart and check out, a diurnal curve and an optional flash-sale surge.
    Seeded: the same arguments give a byte-identical file.
    """
    from .synth import write_synth

    kw = dict(seed=seed, products=products, alpha=alpha, pages_per_session=pages_per_session,
              cart_rate=cart_rate, checkout_rate=checkout_rate, clients=clients, days=days,
              start=start, flash_sale=flash_sale)
    try:
        if output == "-":
            write_synth(sys.stdout.buffer, n, **kw)
        else:
            with open(output, "wb") as f:
                nbytes = write_synth(f, n, **kw)
            click.echo(f"wrote {n:,} lines ({nbytes / 1e6:,.1f} MB) to {output}", err=True)
    except (OSError, ValueError) as e:
        raise click.ClickException(str(e)) from None
