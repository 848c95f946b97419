"""The safety team's operations on a term store: the admin API's and the CLI's one facade.

:class:`AdminOps` wraps a :class:`~suggestfilter._store.Store` and an actor
name (who is acting; it goes into every audit record). The admin gRPC servicer
calls it, the CLI calls it for ``--db``, and
``suggestfilter._admin_client.RemoteAdmin`` mirrors its methods (same names,
same signatures) over gRPC for ``--target``.

Model (see :mod:`suggestfilter._store` for versions): every change writes a new
immutable draft version based on the open draft, or on the published version
when there is none, so changes accumulate in the one open draft until it is
published. Version arguments that may be None mean "the working version": the
open draft if there is one, else the published version.

Every method raises the errors of :mod:`suggestfilter._errors`: NotFoundError
for an unknown version or report group, ConflictError for a concurrent edit or
a state that forbids the call, PolicyError for an entry whose category the
policy lacks, ChecksumError, StoreUnavailableError.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from suggestfilter._model import (
    CategoryPolicy,
    MatchMode,
    Policy,
    SuggestionKind,
    TermEntry,
    Verdict,
)
from suggestfilter._store import (
    AuditRecord,
    ReportGroup,
    ReportStatus,
    Store,
    StoreStatus,
    VersionInfo,
)

if TYPE_CHECKING:
    from suggestfilter._matcher import Explanation

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """One change to the open draft.

    ``add`` entries are added; an entry whose ``rule_id`` already exists
    replaces that entry, and an entry equal in (term, category, kind, locale,
    match) to an existing one is left out (the existing rule id is kept).
    ``remove`` names entries by rule id, or by exact term (every entry with
    that term); a name that matches nothing is NotFoundError.
    ``set_policies`` adds or replaces category policies; ``remove_categories``
    drops categories (PolicyError while an entry still uses one).
    """

    add: tuple[TermEntry, ...] = ()
    remove: tuple[str, ...] = ()
    set_policies: tuple[tuple[str, CategoryPolicy], ...] = ()
    remove_categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChangeResult:
    """The draft a change wrote and what it did: entries added, updated (same
    rule id, new content), unchanged (already present), removed, and policies
    changed."""

    version: VersionInfo
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    policies_changed: int = 0


@dataclass(frozen=True, slots=True)
class EntryChange:
    """An entry whose rule id is in both versions but whose content differs."""

    before: TermEntry
    after: TermEntry


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """A category added (``before`` None), removed (``after`` None) or edited."""

    category: str
    before: CategoryPolicy | None
    after: CategoryPolicy | None


@dataclass(frozen=True, slots=True)
class VersionDiff:
    """What changes from version ``from_version`` (None: nothing) to ``to_version``.

    Entries are compared by rule id; each tuple is in canonical entry order.
    """

    from_version: int | None
    to_version: int
    added: tuple[TermEntry, ...]
    removed: tuple[TermEntry, ...]
    changed: tuple[EntryChange, ...]
    policy_changes: tuple[PolicyChange, ...]


@dataclass(frozen=True, slots=True)
class Sample:
    """A suggestion to try in a dry run."""

    text: str
    kind: SuggestionKind = SuggestionKind.UNSPECIFIED
    locale: str = ""


@dataclass(frozen=True, slots=True)
class DryRunItem:
    """A sample whose verdict differs between the two versions."""

    sample: Sample
    before: Verdict
    after: Verdict


@dataclass(frozen=True, slots=True)
class DryRunResult:
    """The samples that ``version`` would newly block or newly unblock, compared
    with ``against`` (None: no list, everything allowed). ``total`` counts all
    samples tried."""

    version: int
    against: int | None
    total: int
    newly_blocked: tuple[DryRunItem, ...]
    newly_unblocked: tuple[DryRunItem, ...]


class AdminOps:
    """The safety team's operations on one store, acting as ``actor``."""

    def __init__(self, store: Store, actor: str) -> None:
        self.store = store
        self.actor = actor

    # --- reading ------------------------------------------------------

    def status(self) -> StoreStatus:
        """The published version and the open draft."""
        raise NotImplementedError

    def versions(self) -> list[VersionInfo]:
        """Every version, newest first."""
        raise NotImplementedError

    def version(self, number: int) -> VersionInfo:
        """One version's description (NotFoundError when unknown)."""
        raise NotImplementedError

    def entries(
        self, version: int | None = None, *, category: str | None = None
    ) -> list[TermEntry]:
        """A version's entries in canonical order (None: the working version),
        optionally only one category. Empty when the store has no version."""
        raise NotImplementedError

    def policy(self, version: int | None = None) -> Policy:
        """A version's policy (None: the working version; empty when none)."""
        raise NotImplementedError

    def audit(self, *, limit: int = 100, before_id: int | None = None) -> list[AuditRecord]:
        """Audit records, newest first; ``before_id`` pages back."""
        raise NotImplementedError

    # --- changing the draft --------------------------------------------

    def apply_changes(self, changes: ChangeSet, *, reason: str) -> ChangeResult:
        """Apply a change set as a new draft version (see :class:`ChangeSet`).

        PolicyError (nothing stored) when an entry's category is not in the
        resulting policy. A concurrent change to the draft is retried on the
        new draft a few times, then ConflictError.
        """
        raise NotImplementedError

    def add_terms(self, entries: Sequence[TermEntry], *, reason: str) -> ChangeResult:
        """Add entries to the open draft (import and ``terms add``); see ChangeSet.add."""
        raise NotImplementedError

    def remove_terms(self, names: Sequence[str], *, reason: str) -> ChangeResult:
        """Remove entries by rule id or exact term; see ChangeSet.remove."""
        raise NotImplementedError

    def import_policy(self, policy: Policy, *, reason: str) -> ChangeResult:
        """Replace the whole policy in the open draft (audited as ``policy-import``).

        In a store with no version this creates the first draft. PolicyError
        when a remaining entry uses a category the new policy lacks.
        """
        raise NotImplementedError

    def discard_draft(self, *, reason: str) -> VersionInfo:
        """Close the open draft without publishing it (ConflictError when none)."""
        raise NotImplementedError

    # --- previewing ------------------------------------------------------

    def diff(self, from_version: int | None = None, to_version: int | None = None) -> VersionDiff:
        """Compare two versions. Defaults: ``to_version`` the working version,
        ``from_version`` the published version (None when nothing is published)."""
        raise NotImplementedError

    def dry_run(
        self,
        samples: Sequence[Sample],
        *,
        version: int | None = None,
        against: int | None = None,
    ) -> DryRunResult:
        """Which samples ``version`` (default: the open draft, else ConflictError)
        would newly block or unblock compared with ``against`` (default: the
        published version). Both versions are compiled with the real matcher and
        compared by ``suggestion_verdict``."""
        raise NotImplementedError

    def explain(
        self,
        text: str,
        kind: SuggestionKind = SuggestionKind.UNSPECIFIED,
        locale: str = "",
        *,
        version: int | None = None,
    ) -> Explanation:
        """The folded form of ``text`` and each match (span, rule, category) in a
        version (None: the working version)."""
        raise NotImplementedError

    # --- publishing -------------------------------------------------------

    def publish(self, *, reason: str = "", expected_draft: int | None = None) -> VersionInfo:
        """Publish the open draft atomically.

        ConflictError when there is no draft, when ``expected_draft`` is given
        and is not the open draft, or when the published version changed since
        the draft line started; the store is then left as it was.
        """
        raise NotImplementedError

    def rollback(self, version: int, *, reason: str) -> VersionInfo:
        """Publish an earlier version again (NotFoundError, ChecksumError, ConflictError)."""
        raise NotImplementedError

    # --- reports ----------------------------------------------------------

    def report_groups(
        self, *, status: ReportStatus | None = ReportStatus.OPEN, limit: int = 100
    ) -> list[ReportGroup]:
        """Report groups by folded text, most reported first (None: every status)."""
        raise NotImplementedError

    def resolve_report(
        self,
        group_id: str,
        decision: ReportStatus,
        *,
        reason: str,
        category: str | None = None,
        term: str | None = None,
        match: MatchMode = MatchMode.WORD,
        locale: str = "",
    ) -> VersionInfo | None:
        """Decide a report group (by group id or the id of one of its reports).

        ``ReportStatus.PROMOTED``: add a block entry of ``category`` (required)
        to the open draft, with ``term`` (default: the reported text without a
        leading ``#``), ``match`` and ``locale``, and return the new draft.
        ``ReportStatus.DISMISSED``: close the group, return None. Both audited,
        atomically with the draft write.
        """
        raise NotImplementedError


def parse_samples(text: str) -> list[Sample]:
    """Dry-run samples from a file's text: one suggestion per non-empty line.

    A line is ``TEXT`` or ``TEXT<TAB>KIND[<TAB>LOCALE]`` where KIND is
    ``query``, ``hashtag``, ``account`` or empty. A leading ``#`` is part of
    the text (a hashtag), not a comment.
    """
    raise NotImplementedError
