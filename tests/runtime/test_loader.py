"""The list loader that the supervisor and the workers share, against a real SQLite store.

A version is loaded, its checksum verified (against the stored one, or the
one the supervisor expects) and compiled; a refused version leaves the list
being served alone; the list served before stays compiled, so a rollback to
it is served again without a load or a compile.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from _serve_fixtures import NEW_TERM, new_term_entry, publish_added, publish_demo
from suggestfilter._errors import (
    ChecksumError,
    NotFoundError,
    StoreUnavailableError,
    SuggestFilterError,
)
from suggestfilter._model import Action, SuggestionKind
from suggestfilter.engine import Matcher
from suggestfilter.runtime._loader import ListLoader, ListRefused
from suggestfilter.store import Store, open_store


@pytest.fixture
def versions(tmp_path: Path) -> tuple[str, int, int]:
    """A store with two published versions: (location, old, new); new blocks NEW_TERM."""
    location = str(tmp_path / "store.db")
    old = publish_demo(location)
    new = publish_added(location, [new_term_entry()])
    return location, old, new


@pytest.fixture
def store(versions: tuple[str, int, int]) -> Iterator[Store]:
    opened = open_store(versions[0])
    yield opened
    opened.close()


def _corrupt_checksum(location: str, number: int) -> None:
    with sqlite3.connect(location) as conn:
        conn.execute("UPDATE versions SET checksum = ? WHERE number = ?", ("0" * 64, number))


def _blocks_new_term(matcher: Matcher) -> bool:
    verdict = matcher.suggestion_verdict(NEW_TERM, SuggestionKind.QUERY, "")
    return verdict.action == Action.BLOCK


def test_a_version_is_loaded_verified_and_compiled(
    versions: tuple[str, int, int], store: Store
) -> None:
    _, old, new = versions
    loader = ListLoader()
    loaded = loader.load(store, new)
    assert loaded.version == new
    assert loaded.checksum == store.version_info(new).checksum
    assert _blocks_new_term(loaded.matcher)
    assert not _blocks_new_term(loader.load(store, old).matcher)
    assert loader.current is None  # nothing accepted yet: load alone serves nothing


def test_accept_makes_the_served_list_the_previous_one(
    versions: tuple[str, int, int], store: Store
) -> None:
    _, old, new = versions
    loader = ListLoader()
    first = loader.load(store, old)
    loader.accept(first)
    assert (loader.current, loader.previous) == (first, None)
    second = loader.load(store, new)
    loader.accept(second)
    assert loader.current is second and loader.previous is first


def test_a_rollback_to_the_previous_list_is_served_without_a_load_or_compile(
    versions: tuple[str, int, int], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, old, new = versions
    loader = ListLoader()
    first = loader.load(store, old)
    loader.accept(first)
    loader.accept(loader.load(store, new))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("loaded or compiled again")

    monkeypatch.setattr(Matcher, "compile", refuse)
    monkeypatch.setattr(store, "load_version", refuse)
    assert loader.load(store, old) is first
    assert loader.load(store, old, first.checksum) is first


def test_a_kept_list_whose_stored_checksum_changed_is_loaded_again(
    versions: tuple[str, int, int], store: Store
) -> None:
    location, old, new = versions
    loader = ListLoader()
    loader.accept(loader.load(store, old))
    loader.accept(loader.load(store, new))
    _corrupt_checksum(location, old)
    with pytest.raises(ListRefused) as refused:
        loader.load(store, old)
    assert refused.value.stage == "checksum"


@pytest.mark.parametrize(
    "expected",
    [
        pytest.param(None, id="stored-checksum-does-not-verify"),
        pytest.param("f" * 64, id="not-the-expected-checksum"),
    ],
)
def test_a_checksum_failure_is_refused_and_the_served_list_stays(
    versions: tuple[str, int, int], store: Store, expected: str | None
) -> None:
    location, old, new = versions
    loader = ListLoader()
    served = loader.load(store, old)
    loader.accept(served)
    if expected is None:
        _corrupt_checksum(location, new)
    with pytest.raises(ListRefused) as refused:
        loader.load(store, new, expected)
    assert refused.value.version == new
    assert refused.value.stage == "checksum"
    assert isinstance(refused.value.cause, ChecksumError)
    assert str(refused.value) == f"list version {new} refused: its checksum does not verify"
    assert loader.current is served and loader.previous is None


def test_an_unknown_version_is_refused_at_the_load(store: Store) -> None:
    with pytest.raises(ListRefused) as refused:
        ListLoader().load(store, 999)
    assert refused.value.stage == "load"
    assert isinstance(refused.value.cause, NotFoundError)


def test_a_version_that_does_not_compile_is_refused(
    versions: tuple[str, int, int], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, old, _ = versions

    def fail(*args: object, **kwargs: object) -> None:
        raise SuggestFilterError("too big")

    monkeypatch.setattr(Matcher, "compile", fail)
    with pytest.raises(ListRefused) as refused:
        ListLoader().load(store, old)
    assert refused.value.stage == "compile"
    assert refused.value.reason == "it does not compile (SuggestFilterError)"


def test_an_unreachable_store_is_not_a_refused_version(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(number: int) -> None:
        raise StoreUnavailableError("down")

    monkeypatch.setattr(store, "load_version", unreachable)
    with pytest.raises(StoreUnavailableError):
        ListLoader().load(store, 1)
