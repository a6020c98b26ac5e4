"""Command-line entry point: one module per sub-command, each with ``register(subparsers)``.

``python -m gis`` runs :func:`main`; the ``baicheng`` console script (:func:`app.cli`) runs the
same parser with the web app's sub-commands (``serve``, ``users``) added through ``extra``.

Every sub-command returns an exit code.  A :class:`gis.errors.GisError` (or a
missing file) becomes one clear line on stderr and exit code 2, never a
traceback; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any

from gis.errors import GisError

# Sub-command modules in gis/cli/, each defining ``register(subparsers)`` which adds a
# parser with ``set_defaults(func=...)``; ``func(args) -> int``.
COMMAND_MODULES = (
    "ingest",
    "extract",
    "info",
    "indicators",
    "sites",
    "life_circle",
    "project_impact",
    "batch",
    "fetch_osm",
    "db",
    "report",
)

Register = Callable[[Any], None]


def build_parser(
    prog: str = "python -m gis", extra: Sequence[Register] = ()
) -> argparse.ArgumentParser:
    """The parser with every available sub-command, then those ``extra`` registers."""
    parser = argparse.ArgumentParser(
        prog=prog, description="百城提质 planning indicators from county geodata"
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"gis.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"gis.cli.{name}":
                continue  # sub-command not built yet
            raise
        module.register(sub)
    for register in extra:
        register(sub)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    prog: str = "python -m gis",
    extra: Sequence[Register] = (),
) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser(prog, extra)
    args = parser.parse_args(argv)
    args.prog = parser.prog  # "python -m gis" or "baicheng", for the hints commands print
    try:
        return int(args.func(args))
    except (GisError, FileNotFoundError, PermissionError) as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
