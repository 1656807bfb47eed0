"""The ``wellclear`` command line: a thin shell over the library.

Each command lives in a module of its own and registers itself on :data:`app` here.
"""

from __future__ import annotations

import gc

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
    app()
