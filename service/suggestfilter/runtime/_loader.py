"""Loading a list version for serving: load, verify, compile, and keep the one before.

Most users can ignore this module. The supervisor of ``serve`` loads every
newly published version with a :class:`ListLoader`; a public worker switching
a small version in place loads it with its own.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Literal

from suggestfilter._errors import (
    ChecksumError,
    StoreError,
    StoreUnavailableError,
    SuggestFilterError,
)
from suggestfilter.engine import Matcher
from suggestfilter.serving._state import LoadedList

if TYPE_CHECKING:
    from suggestfilter.store import Store

_LOGGER = logging.getLogger(__name__)

Stage = Literal["checksum", "load", "compile"]


class ListRefused(Exception):
    """A list version that will not be served, and why.

    ``stage`` says what failed: ``"checksum"`` (the content does not verify,
    or its checksum is not the one expected), ``"load"`` (the store refused,
    e.g. no such version) or ``"compile"`` (the matcher cannot be built). The
    error of that stage is ``cause`` (and ``__cause__``). The message names
    the version and the error type, never a term.
    """

    def __init__(self, version: int, stage: Stage, cause: Exception) -> None:
        self.version = version
        self.stage = stage
        self.cause = cause
        super().__init__(f"list version {version} refused: {self.reason}")

    @property
    def reason(self) -> str:
        """Why, in a few words: ``its checksum does not verify`` and the like."""
        if self.stage == "checksum":
            return "its checksum does not verify"
        if self.stage == "compile":
            return f"it does not compile ({type(self.cause).__name__})"
        return f"it could not be loaded ({self.cause})"


class ListLoader:
    """Loads list versions from a store, verifies and compiles them; keeps the one before.

    :meth:`load` returns a version's compiled list, or raises
    :class:`ListRefused`; :class:`~suggestfilter._errors.StoreUnavailableError`
    passes through unchanged (the store is down; the version itself may be
    fine). The caller serves the list, then calls :meth:`accept`: the list
    served until then becomes :attr:`previous`. A version's content never
    changes, so while its stored checksum is the one a kept list was compiled
    from, loading :attr:`current` or :attr:`previous` again (a rollback)
    returns that list without a load or a compile. One more automaton stays
    in memory for it.

    Not thread-safe: one thread loads.
    """

    def __init__(self, current: LoadedList | None = None) -> None:
        self._current = current
        self._previous: LoadedList | None = None

    @property
    def current(self) -> LoadedList | None:
        """The list last accepted (None: none yet)."""
        return self._current

    @property
    def previous(self) -> LoadedList | None:
        """The list accepted before :attr:`current` (None: none)."""
        return self._previous

    def load(self, store: Store, version: int, checksum: str | None = None) -> LoadedList:
        """The compiled list of ``version``, its checksum verified.

        With ``checksum`` the version's stored checksum must be that one
        (ListRefused at stage ``"checksum"`` otherwise).
        """
        kept = self._kept(store, version, checksum)
        if kept is not None:
            if kept is self._previous:
                _LOGGER.info("list version %d: the previous compiled list is served again", version)
            return kept
        started = time.perf_counter()
        try:
            snapshot = store.load_version(version)
        except ChecksumError as error:
            raise ListRefused(version, "checksum", error) from error
        except StoreUnavailableError:
            raise
        except StoreError as error:
            raise ListRefused(version, "load", error) from error
        if checksum is not None and snapshot.info.checksum != checksum:
            mismatch = ChecksumError(
                f"list version {version} has checksum {snapshot.info.checksum[:12]}, "
                f"expected {checksum[:12]}"
            )
            raise ListRefused(version, "checksum", mismatch) from mismatch
        loaded_at = time.perf_counter()
        try:
            matcher = Matcher.compile(snapshot.entries, snapshot.policy)
        except SuggestFilterError as error:
            raise ListRefused(version, "compile", error) from error
        loaded = LoadedList(matcher, version, snapshot.info.checksum)
        del snapshot
        _LOGGER.info(
            "list version %d: %d terms loaded in %.3f s, compiled in %.3f s",
            version,
            matcher.term_count,
            loaded_at - started,
            time.perf_counter() - loaded_at,
        )
        return loaded

    def accept(self, loaded: LoadedList) -> None:
        """``loaded`` is served now; the list served until then becomes :attr:`previous`."""
        current = self._current
        if current is not None and current is not loaded:
            self._previous = current if current.version != loaded.version else None
        self._current = loaded

    def _kept(self, store: Store, version: int, checksum: str | None) -> LoadedList | None:
        """The current or previous list when it is ``version`` with the expected checksum."""
        candidates = [
            kept for kept in (self._current, self._previous) if kept and kept.version == version
        ]
        if not candidates:
            return None
        if checksum is None:
            try:
                checksum = store.version_info(version).checksum
            except Exception:  # any failure: load it the ordinary way, which reports it
                return None
        return next((kept for kept in candidates if kept.checksum == checksum), None)
