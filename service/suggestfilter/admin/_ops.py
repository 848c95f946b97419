"""The safety team's operations on a term store: the admin API's and the CLI's one facade.

:class:`AdminOps` wraps a :class:`~suggestfilter.store.Store` and an actor
name (who is acting; it goes into every audit record). The admin gRPC servicer
calls it, the CLI calls it for ``--db``, and
``suggestfilter.admin._client.RemoteAdmin`` mirrors its methods (same names,
same signatures) over gRPC for ``--target``.

Model (see :mod:`suggestfilter.store` for versions): every change writes a new
immutable draft version based on the open draft, or on the published version
when there is none, so changes accumulate in the one open draft until it is
published. Version arguments that may be None mean "the working version": the
open draft if there is one, else the published version.

Every entry and category policy a method writes is first checked and
normalised by :mod:`suggestfilter.lists._validate`, the rules the term and
policy files share, so whatever is stored exports to files that import back
equal. A value that breaks a rule is InvalidInputError naming its field the
way the admin API request does (``add[2].category``, ``entries[0].locale``,
``policy.categories[1].interventions[0].language``, ``set_policies[0].query``),
and nothing is stored.

Every method raises the errors of :mod:`suggestfilter._errors`: InvalidInputError
as above, NotFoundError for an unknown version or report group, ConflictError
for a concurrent edit or a state that forbids the call, PolicyError for an
entry whose category the policy lacks, ChecksumError, StoreUnavailableError.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from suggestfilter._errors import ConflictError, InvalidInputError, NotFoundError, PolicyError
from suggestfilter._model import (
    ALLOWED,
    Action,
    CategoryPolicy,
    MatchMode,
    Policy,
    SuggestionKind,
    TermEntry,
    Verdict,
)
from suggestfilter.engine import Explanation, Matcher
from suggestfilter.lists._validate import (
    PolicyFields,
    check_category,
    check_entries,
    check_policy,
    make_entry,
)
from suggestfilter.store import (
    AuditRecord,
    DraftContent,
    ReportGroup,
    ReportStatus,
    StaleDraftError,
    Store,
    StoreStatus,
    VersionInfo,
    VersionSnapshot,
)
from suggestfilter.store._canonical import canonical_entries

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

    def summary(self) -> str:
        """``"2 added, 1 removed"``-style counts, or ``"no change"``."""
        return _summary(
            self.added, self.updated, self.removed, self.unchanged, self.policies_changed
        )


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


_DRAFT_ATTEMPTS = 3
"""How often a change is retried when another writer changed the draft meanwhile."""

_MATCHER_CACHE_SIZE = 4

_KIND_NAMES = {
    "": SuggestionKind.UNSPECIFIED,
    "unspecified": SuggestionKind.UNSPECIFIED,
    "query": SuggestionKind.QUERY,
    "hashtag": SuggestionKind.HASHTAG,
    "account": SuggestionKind.ACCOUNT,
}


def _summary(added: int, updated: int, removed: int, unchanged: int, policies: int) -> str:
    parts = [
        f"{count} {label}"
        for count, label in (
            (added, "added"),
            (updated, "updated"),
            (removed, "removed"),
            (unchanged, "already present"),
            (policies, "policies changed"),
        )
        if count
    ]
    return ", ".join(parts) or "no change"


def _entry_key(entry: TermEntry) -> tuple[str, str, str, str, str]:
    return (entry.term, entry.category, entry.kind.value, entry.locale, entry.match.value)


@dataclass(slots=True)
class _Edit:
    """A working copy of a version's content that a change set is applied to."""

    by_rule: dict[str, TermEntry]
    categories: dict[str, CategoryPolicy]
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    policies_changed: int = 0

    def remove(self, name: str) -> None:
        if name in self.by_rule:
            del self.by_rule[name]
            self.removed += 1
            return
        matching = [rule for rule, entry in self.by_rule.items() if entry.term == name]
        if not matching:
            raise NotFoundError(f"no entry has the rule id or term {name!r}")
        for rule in matching:
            del self.by_rule[rule]
        self.removed += len(matching)

    def add(self, entries: Sequence[TermEntry]) -> None:
        keys = {_entry_key(entry) for entry in self.by_rule.values()}
        for entry in entries:
            existing = self.by_rule.get(entry.rule_id)
            if existing == entry or (existing is None and _entry_key(entry) in keys):
                self.unchanged += 1
                continue
            if existing is None:
                self.added += 1
            else:
                self.updated += 1
            self.by_rule[entry.rule_id] = entry
            keys.add(_entry_key(entry))

    def set_policy(self, name: str, category: CategoryPolicy) -> None:
        if self.categories.get(name) != category:
            self.categories[name] = category
            self.policies_changed += 1

    def remove_category(self, name: str) -> None:
        if name not in self.categories:
            raise NotFoundError(f"the policy has no category {name!r}")
        del self.categories[name]
        self.policies_changed += 1

    def checked(self) -> tuple[list[TermEntry], Policy]:
        """The edited content; PolicyError when an entry's category is undefined."""
        for entry in self.by_rule.values():
            if entry.category not in self.categories:
                raise PolicyError(
                    f"category {entry.category!r} is not defined by the policy "
                    f"(entry {entry.rule_id}); import a policy that defines it first"
                )
        return list(self.by_rule.values()), Policy(categories=dict(self.categories))

    def summary(self) -> str:
        return _summary(
            self.added, self.updated, self.removed, self.unchanged, self.policies_changed
        )

    def result(self, version: VersionInfo) -> ChangeResult:
        """What this edit did, once written as ``version``."""
        return ChangeResult(
            version=version,
            added=self.added,
            updated=self.updated,
            unchanged=self.unchanged,
            removed=self.removed,
            policies_changed=self.policies_changed,
        )


class AdminOps:
    """The safety team's operations on one store, acting as ``actor``."""

    def __init__(self, store: Store, actor: str) -> None:
        self.store = store
        self.actor = actor
        self._matchers: OrderedDict[tuple[int, str], Matcher] = OrderedDict()

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> AdminOps:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- helpers --------------------------------------------------------

    def _working_number(self) -> int | None:
        status = self.store.status()
        return status.draft if status.draft is not None else status.published

    def _snapshot(self, version: int | None) -> VersionSnapshot | None:
        number = self._working_number() if version is None else version
        return None if number is None else self.store.load_version(number)

    def _matcher(self, snapshot: VersionSnapshot) -> Matcher:
        key = (snapshot.info.number, snapshot.info.checksum)
        matcher = self._matchers.get(key)
        if matcher is None:
            # A CLI run rarely meets a caseless hashtag: load the dictionary lazily.
            matcher = Matcher.compile(snapshot.entries, snapshot.policy, load_dictionary=False)
            self._matchers[key] = matcher
            while len(self._matchers) > _MATCHER_CACHE_SIZE:
                self._matchers.popitem(last=False)
        else:
            self._matchers.move_to_end(key)
        return matcher

    def _edit_draft(
        self,
        apply: Callable[[_Edit], None],
        *,
        reason: str,
        action: str = "change",
        resolve: tuple[str, ReportStatus] | None = None,
    ) -> tuple[VersionInfo, _Edit]:
        """Apply ``apply`` to the working version and write the result as the new
        draft (with ``resolve``: while resolving that report group), retrying
        when the draft moved meanwhile."""
        for attempt in range(1, _DRAFT_ATTEMPTS + 1):
            snapshot = self._snapshot(None)
            edit = _Edit(
                by_rule={} if snapshot is None else {e.rule_id: e for e in snapshot.entries},
                categories={} if snapshot is None else dict(snapshot.policy.categories),
            )
            apply(edit)
            entries, policy = edit.checked()
            content = DraftContent(
                base=None if snapshot is None else snapshot.info.number,
                entries=entries,
                policy=policy,
                reason=reason,
                action=action,
                detail=edit.summary(),
            )
            try:
                if resolve is None:
                    info = self.store.write_draft(content, actor=self.actor)
                else:
                    written = self.store.resolve_reports(
                        resolve[0], resolve[1], actor=self.actor, reason=reason, draft=content
                    )
                    assert written is not None, "a draft was given"
                    info = written
            except StaleDraftError:
                if attempt == _DRAFT_ATTEMPTS:
                    raise
                _LOGGER.info("draft moved while changing it; retrying (attempt %d)", attempt)
                continue
            _LOGGER.debug("draft %d written by %s: %s", info.number, self.actor, edit.summary())
            return info, edit
        raise AssertionError("unreachable")

    # --- reading ------------------------------------------------------

    def status(self) -> StoreStatus:
        """The published version and the open draft."""
        return self.store.status()

    def versions(self) -> list[VersionInfo]:
        """Every version, newest first."""
        return self.store.list_versions()

    def version(self, number: int) -> VersionInfo:
        """One version's description (NotFoundError when unknown)."""
        return self.store.version_info(number)

    def entries(
        self, version: int | None = None, *, category: str | None = None
    ) -> list[TermEntry]:
        """A version's entries in canonical order (None: the working version),
        optionally only one category. Empty when the store has no version."""
        snapshot = self._snapshot(version)
        if snapshot is None:
            return []
        return [e for e in snapshot.entries if category is None or e.category == category]

    def policy(self, version: int | None = None) -> Policy:
        """A version's policy (None: the working version; empty when none)."""
        snapshot = self._snapshot(version)
        return Policy() if snapshot is None else snapshot.policy

    def audit(self, *, limit: int = 100, before_id: int | None = None) -> list[AuditRecord]:
        """Audit records, newest first; ``before_id`` pages back."""
        return self.store.audit_log(limit=limit, before_id=before_id)

    # --- changing the draft --------------------------------------------

    def apply_changes(self, changes: ChangeSet, *, reason: str) -> ChangeResult:
        """Apply a change set as a new draft version (see :class:`ChangeSet`):
        removals first, then additions, then policy edits.

        InvalidInputError naming ``add[i]`` or ``set_policies[i]`` fields, or
        PolicyError when an entry's category is not in the resulting policy;
        either way nothing is stored. A concurrent change to the draft is
        retried on the new draft a few times, then ConflictError.
        """
        checked = ChangeSet(
            add=check_entries(changes.add, "add"),
            remove=changes.remove,
            set_policies=tuple(
                check_category(name, category, PolicyFields.of_request(f"set_policies[{i}]"))
                for i, (name, category) in enumerate(changes.set_policies)
            ),
            remove_categories=changes.remove_categories,
        )
        return self._apply_checked(checked, reason=reason)

    def _apply_checked(self, changes: ChangeSet, *, reason: str) -> ChangeResult:
        def apply(edit: _Edit) -> None:
            for name in changes.remove:
                edit.remove(name)
            edit.add(changes.add)
            for category_name, category in changes.set_policies:
                edit.set_policy(category_name, category)
            for category_name in changes.remove_categories:
                edit.remove_category(category_name)

        info, edit = self._edit_draft(apply, reason=reason)
        return edit.result(info)

    def add_terms(self, entries: Sequence[TermEntry], *, reason: str) -> ChangeResult:
        """Add entries to the open draft (import and ``terms add``); see ChangeSet.add.
        InvalidInputError names a bad entry as ``entries[i]``."""
        return self._apply_checked(ChangeSet(add=check_entries(entries, "entries")), reason=reason)

    def remove_terms(self, names: Sequence[str], *, reason: str) -> ChangeResult:
        """Remove entries by rule id or exact term; see ChangeSet.remove."""
        return self.apply_changes(ChangeSet(remove=tuple(names)), reason=reason)

    def import_policy(self, policy: Policy, *, reason: str) -> ChangeResult:
        """Replace the whole policy in the open draft (audited as ``policy-import``).

        In a store with no version this creates the first draft.
        InvalidInputError naming a ``policy.categories[i]`` field, or
        PolicyError when a remaining entry uses a category the new policy
        lacks; either way nothing is stored.
        """
        policy = check_policy(policy, "policy")

        def apply(edit: _Edit) -> None:
            for name in list(edit.categories):
                if name not in policy.categories:
                    edit.remove_category(name)
            for name, category in policy.categories.items():
                edit.set_policy(name, category)

        info, edit = self._edit_draft(apply, reason=reason, action="policy-import")
        return edit.result(info)

    def discard_draft(self, *, reason: str) -> VersionInfo:
        """Close the open draft without publishing it (ConflictError when none)."""
        return self.store.discard_draft(actor=self.actor, reason=reason)

    # --- previewing ------------------------------------------------------

    def diff(self, from_version: int | None = None, to_version: int | None = None) -> VersionDiff:
        """Compare two versions. Defaults: ``to_version`` the working version,
        ``from_version`` the published version (None when nothing is published)."""
        after = self._snapshot(to_version)
        if after is None:
            raise NotFoundError("the store has no version yet")
        if from_version is None:
            from_version = self.store.status().published
        before = None if from_version is None else self.store.load_version(from_version)
        old = {} if before is None else {e.rule_id: e for e in before.entries}
        new = {e.rule_id: e for e in after.entries}
        old_categories = {} if before is None else dict(before.policy.categories)
        new_categories = dict(after.policy.categories)
        return VersionDiff(
            from_version=from_version,
            to_version=after.info.number,
            added=canonical_entries(e for rule, e in new.items() if rule not in old),
            removed=canonical_entries(e for rule, e in old.items() if rule not in new),
            changed=tuple(
                EntryChange(before=old[rule], after=entry)
                for entry in canonical_entries(new.values())
                for rule in (entry.rule_id,)
                if rule in old and old[rule] != entry
            ),
            policy_changes=tuple(
                PolicyChange(name, old_categories.get(name), new_categories.get(name))
                for name in sorted(old_categories.keys() | new_categories.keys())
                if old_categories.get(name) != new_categories.get(name)
            ),
        )

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
        compared by ``suggestion_verdict``; a verdict other than ALLOW counts as
        blocked."""
        status = self.store.status()
        if version is None:
            if status.draft is None:
                raise ConflictError("there is no open draft to dry-run; name a version")
            version = status.draft
        if against is None:
            against = status.published
        after = self._matcher(self.store.load_version(version))
        before = None if against is None else self._matcher(self.store.load_version(against))
        newly_blocked: list[DryRunItem] = []
        newly_unblocked: list[DryRunItem] = []
        for sample in samples:
            old = (
                ALLOWED
                if before is None
                else before.suggestion_verdict(sample.text, sample.kind, sample.locale)
            )
            new = after.suggestion_verdict(sample.text, sample.kind, sample.locale)
            was_blocked = old.action is not Action.ALLOW
            is_blocked = new.action is not Action.ALLOW
            if is_blocked and not was_blocked:
                newly_blocked.append(DryRunItem(sample, old, new))
            elif was_blocked and not is_blocked:
                newly_unblocked.append(DryRunItem(sample, old, new))
        return DryRunResult(
            version=version,
            against=against,
            total=len(samples),
            newly_blocked=tuple(newly_blocked),
            newly_unblocked=tuple(newly_unblocked),
        )

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
        snapshot = self._snapshot(version)
        if snapshot is None:
            raise NotFoundError("the store has no version yet")
        return self._matcher(snapshot).explain(text, kind, locale)

    # --- publishing -------------------------------------------------------

    def publish(self, *, reason: str = "", expected_draft: int | None = None) -> VersionInfo:
        """Publish the open draft atomically.

        The draft is compiled first, so a list that replicas could not load is
        never published. ConflictError when there is no draft, when
        ``expected_draft`` is given and is not the open draft, or when the
        published version changed since the draft line started; the store is
        then left as it was.
        """
        draft = self.store.status().draft
        if draft is None:
            raise ConflictError("there is no open draft to publish")
        if expected_draft is not None and expected_draft != draft:
            raise ConflictError(
                f"the open draft is version {draft}, not {expected_draft}; review it first"
            )
        self._matcher(self.store.load_version(draft))
        info = self.store.publish(draft, actor=self.actor, reason=reason)
        _LOGGER.info("version %d published by %s", info.number, self.actor)
        return info

    def rollback(self, version: int, *, reason: str) -> VersionInfo:
        """Publish an earlier version again (NotFoundError, ChecksumError, ConflictError)."""
        info = self.store.rollback(version, actor=self.actor, reason=reason)
        _LOGGER.info("rolled back to version %d by %s", info.number, self.actor)
        return info

    # --- reports ----------------------------------------------------------

    def report_groups(
        self, *, status: ReportStatus | None = ReportStatus.OPEN, limit: int = 100
    ) -> list[ReportGroup]:
        """Report groups by folded text, most reported first (None: every status)."""
        return self.store.report_groups(status=status, limit=limit)

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
        atomically with the draft write. A promoted entry that breaks a rule of
        :mod:`suggestfilter.lists._validate` is InvalidInputError naming
        ``term``, ``category`` or ``locale``.
        """
        if decision is ReportStatus.DISMISSED:
            self.store.resolve_reports(group_id, decision, actor=self.actor, reason=reason)
            return None
        if decision is not ReportStatus.PROMOTED:
            raise InvalidInputError("decision", "must be promoted or dismissed")
        if not category:
            raise InvalidInputError("category", "a category is required to promote a report")
        group = self.store.report_group(group_id)
        entry = make_entry(
            term=term if term is not None else group.text.strip().lstrip("#"),
            category=category,
            match=match,
            locale=locale,
            note=f"promoted from report group {group.group_id}",
        )
        info, _ = self._edit_draft(
            lambda edit: edit.add([entry]),
            reason=reason,
            action="report-promote",
            resolve=(group.group_id, ReportStatus.PROMOTED),
        )
        return info


def parse_samples(text: str) -> list[Sample]:
    """Dry-run samples from a file's text: one suggestion per non-empty line.

    A line is ``TEXT`` or ``TEXT<TAB>KIND[<TAB>LOCALE]`` where KIND is
    ``query``, ``hashtag``, ``account`` or empty. A leading ``#`` is part of
    the text (a hashtag), not a comment.
    """
    samples = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) > 3:
            raise InvalidInputError(f"line {number}", "expected TEXT[<TAB>KIND[<TAB>LOCALE]]")
        kind_name = fields[1].strip().lower() if len(fields) > 1 else ""
        if kind_name not in _KIND_NAMES:
            raise InvalidInputError(f"line {number}", f"unknown suggestion kind {kind_name!r}")
        locale = fields[2].strip() if len(fields) > 2 else ""
        samples.append(Sample(fields[0].strip(), _KIND_NAMES[kind_name], locale))
    return samples
