"""The ``suggestfilter`` command line.

Each command group lives in its own module with a ``register(subparsers)``
function; this module only wires them together and turns errors into one
readable line and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from suggestfilter._errors import SuggestFilterError
from suggestfilter.cli import (
    _engine_cmds,
    _load_cmds,
    _query_cmds,
    _serve_cmds,
    _store_cmds,
)

_COMMAND_MODULES = (_serve_cmds, _query_cmds, _store_cmds, _engine_cmds, _load_cmds)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="suggestfilter",
        description="Filter search suggestions against blocked-term lists.",
    )
    parser.add_argument(
        "--log-level", default="INFO", help="logging level (DEBUG, INFO, WARNING); default INFO"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status (0 on success)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        status = args.func(args)
    except SuggestFilterError as error:
        print(f"suggestfilter: error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader of our output went away (`| head`): stop quietly, as cat does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as error:
        where = f" {error.filename}" if error.filename else ""
        print(f"suggestfilter: error:{where} {error.strerror or error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("suggestfilter: interrupted", file=sys.stderr)
        return 130
    return int(status or 0)
