"""The shipped demo list (``suggestfilter serve --demo``): its policy, its terms, its examples.

``test_serve_process`` runs the demo server itself; these tests check the
shipped files in-process, where a failure points at the file.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from suggestfilter._model import Action, EntryKind, SuggestionKind
from suggestfilter.cli import build_parser
from suggestfilter.engine import Matcher
from suggestfilter.runtime._demo import demo_entries, demo_policy, example_commands, seed_demo_store
from suggestfilter.store import open_store


def test_demo_policy_blocks_profanity_and_intervenes_on_exploitation() -> None:
    policy = demo_policy()
    profanity = policy.categories["profanity"]
    exploitation = policy.categories["exploitation"]
    assert (profanity.suggestions, profanity.query) == (Action.BLOCK, Action.BLOCK)
    assert (exploitation.suggestions, exploitation.query) == (Action.BLOCK, Action.INTERVENE)
    assert list(exploitation.interventions) == ["en", "fr"]
    assert all(i.message and i.help_url for i in exploitation.interventions.values())


def test_demo_terms_are_synthetic_or_generic_with_stable_rule_ids() -> None:
    entries = demo_entries()
    assert {e.category for e in entries} == {"profanity", "exploitation"}
    assert {e.term for e in entries if e.category == "exploitation"} == {
        "zorblax",
        "glorbnak",
        "qwzzyx",
        "qwzzyxology",
    }
    assert [e.term for e in entries if e.kind is EntryKind.ALLOW] == ["qwzzyxology"]
    assert all(e.rule_id == f"r-demo-{e.term}" for e in entries)


DEMO_VERDICTS = [
    # (text, locale, suggestion action)
    pytest.param("free b4dw0rd videos", "", Action.BLOCK, id="leet-term"),
    pytest.param("#FreeBadwordVideos", "", Action.BLOCK, id="camel-hashtag"),
    pytest.param("free games", "", Action.ALLOW, id="innocent-phrase"),
    pytest.param("assassin's creed", "", Action.ALLOW, id="scunthorpe-assassin"),
    pytest.param("#classof2026", "", Action.ALLOW, id="hashtag-classof2026"),
    pytest.param("zorblax pics", "", Action.BLOCK, id="second-term"),
    pytest.param("xqwzzyxz", "", Action.BLOCK, id="substring-entry"),
    pytest.param("qwzzyxology", "", Action.ALLOW, id="allow-entry-covers-it"),
    pytest.param("merde alors", "fr-FR", Action.BLOCK, id="french-term-in-french"),
    pytest.param("merde alors", "en-GB", Action.ALLOW, id="french-only-entry-in-english"),
]


@pytest.mark.parametrize(("text", "locale", "action"), DEMO_VERDICTS)
def test_demo_list_decides(text: str, locale: str, action: Action) -> None:
    policy = demo_policy()
    matcher = Matcher.compile(demo_entries(policy), policy)
    assert matcher.suggestion_verdict(text, SuggestionKind.QUERY, locale).action is action


def test_seeded_demo_store_publishes_the_demo_list(tmp_path: Path) -> None:
    location = str(tmp_path / "demo.db")
    version = seed_demo_store(location)
    store = open_store(location)
    try:
        snapshot = store.load_published()
    finally:
        store.close()
    assert snapshot is not None and snapshot.info.number == version
    assert sorted(e.rule_id for e in snapshot.entries) == sorted(e.rule_id for e in demo_entries())


@pytest.mark.parametrize("command", example_commands("127.0.0.1:50051"))
def test_printed_examples_are_valid_query_commands(command: str) -> None:
    argv = shlex.split(command)
    assert argv[0] == "suggestfilter"
    args = build_parser().parse_args(argv[1:])
    assert args.command == "query"
    assert args.target == "127.0.0.1:50051"
