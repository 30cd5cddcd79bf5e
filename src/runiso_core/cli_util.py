"""Small helpers shared by the command modules."""
from __future__ import annotations

import os
import sys

import click

__all__ = ["quiet_broken_pipe", "printable", "value_callback"]


def value_callback(parse):
    """A click callback running ``parse(text)`` on an option's value (None
    passes through): its ValueError becomes click's "Invalid value for
    '--option': ..." (exit 2)."""
    def callback(ctx, param, value):
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as e:
            raise click.BadParameter(str(e)) from None
    return callback


def printable(text: str) -> str:
    """``text`` safe to print on a terminal: control and other non-printable
    characters (ESC, BEL, C1 controls, bidirectional overrides...) become
    ``\\xNN``/``\\uNNNN`` escapes. Log content is attacker-controlled: a URL
    must not be able to retitle or recolour the operator's terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else
                   (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}" if ord(c) < 0x10000
                    else f"\\U{ord(c):08x}") for c in text)


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
