"""Small helpers shared by the command modules."""
from __future__ import annotations

import os
import sys

import click

__all__ = ["quiet_broken_pipe"]


def quiet_broken_pipe() -> None:
    """End quietly when the reader of stdout went away (``... | head -1``), as
    Unix tools do: no message, exit 0. stdout is pointed at /dev/null first so
    that the interpreter's final flush does not report the pipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    raise click.exceptions.Exit(0)
