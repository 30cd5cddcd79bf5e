"""The ``runiso`` command line."""
from __future__ import annotations

import click

from . import __version__

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="runiso")
def main() -> None:
    """runiso: replay captured HTTP traffic against a proxy topology, and the
    routing cores (hashing, admission, cache, balancing) behind it."""


# Subcommand modules import the cores lazily where they can and register here.
from .cli_cache import cache as _cache_group  # noqa: E402
from .cli_hash import hash_command  # noqa: E402
from .cli_trace import trace as _trace_group  # noqa: E402

main.add_command(hash_command)
main.add_command(_cache_group)
main.add_command(_trace_group)


def run() -> None:
    """The ``runiso`` console script: ``main`` with SIGPIPE restored to its
    default, so that ``runiso ... | head`` ends quietly when ``head`` exits,
    as Unix tools do (Python turns SIGPIPE into an exception and click into
    "exit 1"; every command now ends the same way)."""
    import signal

    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    main()


if __name__ == "__main__":  # pragma: no cover
    run()
