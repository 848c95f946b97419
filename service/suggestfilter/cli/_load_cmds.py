"""Placeholder: the owning change replaces this module."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register this module's commands (none yet)."""
