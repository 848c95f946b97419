"""The demo list of ``suggestfilter serve --demo``: a policy and terms shipped in the package.

``demo/policy.toml`` defines two categories: ``profanity`` (suggestion and
query blocked) and ``exploitation`` (suggestions blocked, a typed query
answered with a deterrence message in English or French and a help URL).
``demo/terms.csv`` holds synthetic terms (``badword``, ``zorblax``,
``glorbnak``, the coded ``qwzzyx``) and generic profanity only: no real
abuse keyword is shipped, or written anywhere in this project.

:func:`seed_demo_store` writes them into a store through the same operations
as ``suggestfilter policy import``, ``terms import`` and ``terms publish``.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from importlib import resources

from suggestfilter._model import Policy, TermEntry

DEMO_ACTOR = "demo"


def _demo_text(name: str) -> str:
    return resources.files("suggestfilter").joinpath("demo", name).read_text(encoding="utf-8")


def demo_policy() -> Policy:
    """The demo policy (``demo/policy.toml``)."""
    from suggestfilter.lists._policyfile import parse_policy_toml

    return parse_policy_toml(_demo_text("policy.toml"), source="demo/policy.toml")


def demo_entries(policy: Policy | None = None) -> list[TermEntry]:
    """The demo term entries (``demo/terms.csv``)."""
    from suggestfilter.lists._termfile import parse_term_text

    policy = policy or demo_policy()
    return parse_term_text(
        _demo_text("terms.csv"),
        source="demo/terms.csv",
        csv_format=True,
        known_categories=tuple(policy.categories),
    )


def seed_demo_store(location: str) -> int:
    """Import the demo policy and terms into the store at ``location`` and publish; return the
    published version number."""
    from suggestfilter.admin._ops import AdminOps
    from suggestfilter.store import open_store

    store = open_store(location)
    try:
        ops = AdminOps(store, DEMO_ACTOR)
        policy = demo_policy()
        ops.import_policy(policy, reason="demo policy")
        ops.add_terms(demo_entries(policy), reason="demo terms")
        return ops.publish(reason="demo").number
    finally:
        store.close()


def example_commands(target: str, program: Sequence[str] = ("suggestfilter",)) -> list[str]:
    """Ready-to-paste ``suggestfilter query`` lines against the demo list at ``target``.

    ``program`` is how to run suggestfilter in the user's shell (e.g. the
    path of the script that is running, when it is not on PATH).
    They show a blocked disguised suggestion beside an allowed one, an
    intervention in French, and hashtags (a CamelCase evasion blocked, an
    innocent tag allowed).
    """
    base = [*program, "query", "--target", target]
    examples = [
        [*base, "free", "free b4dw0rd videos", "free games"],
        [*base, "--locale", "fr-FR", "zorblax"],
        [*base, "", "#FreeBadwordVideos", "#classof2026"],
    ]
    return [shlex.join(example) for example in examples]


def example_admin_command(admin_target: str, program: Sequence[str] = ("suggestfilter",)) -> str:
    """A ready-to-paste admin CLI line (token from ``$SUGGESTFILTER_TOKEN``)."""
    return shlex.join([*program, "terms", "versions", "--target", admin_target])
