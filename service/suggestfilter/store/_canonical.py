"""The canonical form of a version's content, its SHA-256 checksum, and its stored bytes.

Content is a version's term entries and policy. Its canonical form is one
deterministic JSON document (UTF-8, no whitespace, keys sorted)::

    {"entries": [[rule_id, term, category, match, locale, kind, note], ...],
     "format": 1,
     "policy": [[category, suggestions, query, [[language, message, help_url], ...]], ...]}

Entries are sorted by :func:`entry_sort_key`, categories by name; a
category's interventions keep their defined order (the first one is the last
language fallback, so the order is content). The checksum is the hex SHA-256
of those bytes; the store keeps them zlib-compressed and verifies the checksum
every time it decodes them.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterable
from typing import Any

from suggestfilter._errors import ChecksumError
from suggestfilter._model import (
    Action,
    CategoryPolicy,
    EntryKind,
    Intervention,
    MatchMode,
    Policy,
    TermEntry,
)

FORMAT = 1


def entry_sort_key(entry: TermEntry) -> tuple[str, ...]:
    """The canonical order of entries: category, kind, locale, match, term, rule id, note."""
    return (
        entry.category,
        entry.kind.value,
        entry.locale,
        entry.match.value,
        entry.term,
        entry.rule_id,
        entry.note,
    )


def canonical_entries(entries: Iterable[TermEntry]) -> tuple[TermEntry, ...]:
    """``entries`` in canonical order."""
    return tuple(sorted(entries, key=entry_sort_key))


def canonical_bytes(entries: Iterable[TermEntry], policy: Policy) -> bytes:
    """The canonical serialization of a version's content (see the module docstring)."""
    document = {
        "format": FORMAT,
        "entries": [
            [e.rule_id, e.term, e.category, e.match.value, e.locale, e.kind.value, e.note]
            for e in canonical_entries(entries)
        ],
        "policy": [
            [
                name,
                category.suggestions.name.lower(),
                category.query.name.lower(),
                [[lang, iv.message, iv.help_url] for lang, iv in category.interventions.items()],
            ]
            for name, category in sorted(policy.categories.items())
        ],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def checksum(data: bytes) -> str:
    """The hex SHA-256 of canonical bytes."""
    return hashlib.sha256(data).hexdigest()


def encode(entries: Iterable[TermEntry], policy: Policy) -> tuple[bytes, str, int]:
    """The stored form of content: (compressed canonical bytes, checksum, entry count)."""
    entry_tuple = tuple(entries)
    data = canonical_bytes(entry_tuple, policy)
    return zlib.compress(data, 6), checksum(data), len(entry_tuple)


def verified_bytes(stored: bytes, expected_checksum: str, *, version: int) -> bytes:
    """The canonical bytes of stored content, checksum verified (else ChecksumError)."""
    try:
        data = zlib.decompress(stored)
    except zlib.error as error:
        raise ChecksumError(f"version {version} is corrupt: {error}") from None
    actual = checksum(data)
    if actual != expected_checksum:
        raise ChecksumError(
            f"version {version} does not match its checksum "
            f"(stored {expected_checksum[:12]}…, content {actual[:12]}…); refusing to load it"
        )
    return data


def decode(
    stored: bytes, expected_checksum: str, *, version: int
) -> tuple[tuple[TermEntry, ...], Policy]:
    """Verify and parse stored content. ChecksumError when it does not verify."""
    data = verified_bytes(stored, expected_checksum, version=version)
    try:
        return _parse_document(json.loads(data))
    except (ValueError, KeyError, TypeError, IndexError) as error:
        raise ChecksumError(f"version {version} cannot be parsed: {error}") from None


_MATCH_MODES = {mode.value: mode for mode in MatchMode}
_ENTRY_KINDS = {kind.value: kind for kind in EntryKind}


def _parse_document(document: Any) -> tuple[tuple[TermEntry, ...], Policy]:
    if document["format"] != FORMAT:
        raise ValueError(f"unknown content format {document['format']!r}")
    # Positional arguments and dict lookups: this runs once per entry (1M entries: ~2.7 s).
    modes, kinds = _MATCH_MODES, _ENTRY_KINDS
    entries = tuple(
        TermEntry(term, category, modes[match], locale, kinds[kind], rule_id, note)
        for rule_id, term, category, match, locale, kind, note in document["entries"]
    )
    categories = {
        name: CategoryPolicy(
            suggestions=Action[suggestions.upper()],
            query=Action[query.upper()],
            interventions={
                lang: Intervention(message=message, help_url=help_url)
                for lang, message, help_url in interventions
            },
        )
        for name, suggestions, query, interventions in document["policy"]
    }
    return entries, Policy(categories=categories)
