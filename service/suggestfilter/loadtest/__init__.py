"""Load generation and benchmarks: the typing and keystroke drivers, the
independent verdict oracle, the echo-server floor, and ``bench``.

Most users can ignore this package and run ``suggestfilter loadtest`` or
``suggestfilter bench``. Its modules, bottom up: ``_oracle`` (what each
keystroke expects, decided without the engine), ``_corpus`` (typing sessions
and the pre-serialised plan), ``_report`` (HDR histograms, the table and the
JSON), ``_drivers`` (unary and stream lanes, sync and ``grpc.aio``),
``_runner`` (warm-up, duration, client processes, progress), ``_echo`` (the
echo floor), ``_adversarial`` (texts shaped to cost the engine most), ``_bench``,
``_bench_service`` and ``_bench_memory`` (the benchmarks).

The load generator and the benchmarks need the ``bench`` extra
(``pip install 'suggestfilter[bench]'``: hdrhistogram, flashtext), which a
service install leaves out; :func:`require_bench_extra` says so in one line.
"""

from __future__ import annotations

import importlib.util

from suggestfilter._errors import SuggestFilterError

BENCH_EXTRA_MODULES = ("hdrh", "flashtext")
"""The modules the ``bench`` extra installs (hdrhistogram, flashtext)."""


def require_bench_extra(command: str) -> None:
    """Raise SuggestFilterError naming the install when the ``bench`` extra is missing.

    ``command`` is the command that needs it, e.g. ``loadtest``.
    """
    if any(importlib.util.find_spec(module) is None for module in BENCH_EXTRA_MODULES):
        raise SuggestFilterError(
            f"suggestfilter {command} needs the bench extra: pip install 'suggestfilter[bench]'"
        )


__all__ = ["BENCH_EXTRA_MODULES", "require_bench_extra"]
