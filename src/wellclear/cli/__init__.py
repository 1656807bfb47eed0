"""The ``wellclear`` command line: a thin shell over the library.

Each command lives in a module of its own and registers itself on :data:`app` here.
"""

from __future__ import annotations

import gc
import os
import sys

import typer

app = typer.Typer(
    name="wellclear",
    help="Keep aircraft of different operators well clear of each other.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def main() -> None:
    """Console-script entry point.

    Loading the commands' modules (pandas, numba, Arrow) makes long-lived objects only: the
    cyclic collector is off meanwhile (it would walk them again and again, about 0.1 s), and
    they are frozen out of its reach before a command runs.
    """
    gc.disable()
    try:
        from wellclear.cli import commands  # noqa: F401  (registers the commands)
    finally:
        gc.freeze()
        gc.enable()
    try:
        app()
    except SystemExit as e:
        leave(e.code)
    leave(0)


def leave(code: object) -> None:
    """End the process with ``code`` as :class:`SystemExit` would, without tearing the
    interpreter down.

    Once a command has returned, its files are closed and its threads joined; what is left is
    the interpreter freeing every module and object one by one (pandas, numba, Arrow: about
    0.08 s, on every command). The standard streams are flushed first; an unexpected
    exception still goes the usual way (traceback, teardown).
    """
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)
