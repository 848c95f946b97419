"""Term files: parse a whole file into term entries, or reject it whole.

Two formats:

- CSV (file name ends in ``.csv``): a header naming some of the columns
  ``term,category,match,locale,kind,note,rule_id`` (``term`` required, in
  any order), then one entry per row. Empty cells take the defaults given on
  the command line (``--category``, ``--locale``, ``--match``), else ``word``,
  global, ``block``, and a fresh rule id.
- Plain text: one term per line; empty lines and lines starting with ``#``
  are ignored; category, locale and match come from the command line.

Any bad line -- an empty term, a term that folds to nothing, an unknown match
mode, kind or category, a malformed locale or rule id, a malformed CSV row --
raises :class:`~suggestfilter._errors.TermFileError` naming the source and
the 1-based line, and nothing is returned: a file is loaded whole or not at
all. Fields are stripped of surrounding whitespace, except the note.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from suggestfilter._errors import TermFileError
from suggestfilter._model import EntryKind, MatchMode, TermEntry, new_rule_id
from suggestfilter.engine._fold import fold
from suggestfilter.lists._policyfile import CATEGORY_NAME_RE

CSV_COLUMNS = ("term", "category", "match", "locale", "kind", "note", "rule_id")
MAX_TERM_LENGTH = 512
PROGRESS_EVERY = 10_000

_LOCALE_RE = re.compile(r"[a-z]{2,3}")
_RULE_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_TOKEN_RE = re.compile(r"[^\W_]")

ProgressCallback = Callable[[int, int], None]


class _Defaults:
    def __init__(
        self,
        source: str,
        category: str | None,
        locale: str,
        match: MatchMode | None,
        known_categories: Collection[str] | None,
    ) -> None:
        self.source = source
        self.category = category or ""
        self.locale = locale
        self.match = match or MatchMode.WORD
        self.known_categories = known_categories
        self.rule_ids: set[str] = set()

    def error(self, line: int, why: str) -> TermFileError:
        return TermFileError(self.source, line, why)

    def entry(
        self,
        line: int,
        term: str,
        *,
        category: str = "",
        match: str = "",
        locale: str = "",
        kind: str = "",
        note: str = "",
        rule_id: str = "",
    ) -> TermEntry:
        term = term.strip()
        if not term:
            raise self.error(line, "empty term")
        if len(term) > MAX_TERM_LENGTH:
            raise self.error(line, f"term longer than {MAX_TERM_LENGTH} characters")
        if not _TOKEN_RE.search(fold(term)):
            raise self.error(line, "the term folds to nothing (no letter or digit left)")
        category = category.strip() or self.category
        if not category:
            raise self.error(line, "no category (give one in the file or with --category)")
        if not CATEGORY_NAME_RE.fullmatch(category):
            raise self.error(line, f"bad category name {category!r}")
        if self.known_categories is not None and category not in self.known_categories:
            raise self.error(line, f"unknown category {category!r} (not in the policy)")
        match_text = match.strip().lower()
        try:
            match_mode = MatchMode(match_text) if match_text else self.match
        except ValueError:
            raise self.error(line, f"unknown match mode {match!r} (word | substring)") from None
        kind_text = kind.strip().lower()
        try:
            entry_kind = EntryKind(kind_text) if kind_text else EntryKind.BLOCK
        except ValueError:
            raise self.error(line, f"unknown kind {kind!r} (block | allow)") from None
        locale = (locale.strip() or self.locale).lower()
        if locale and not _LOCALE_RE.fullmatch(locale):
            raise self.error(line, f"bad locale {locale!r}: give a language subtag such as fr")
        rule_id = rule_id.strip()
        if rule_id:
            if not _RULE_ID_RE.fullmatch(rule_id):
                raise self.error(line, f"bad rule id {rule_id!r}")
            if rule_id in self.rule_ids:
                raise self.error(line, f"duplicate rule id {rule_id!r}")
            self.rule_ids.add(rule_id)
        else:
            rule_id = new_rule_id()
        return TermEntry(
            term=term,
            category=category,
            match=match_mode,
            locale=locale,
            kind=entry_kind,
            rule_id=rule_id,
            note=note,
        )


def _parse_plain(
    text: str, defaults: _Defaults, progress: ProgressCallback | None
) -> list[TermEntry]:
    lines = text.splitlines()
    entries: list[TermEntry] = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            entries.append(defaults.entry(number, stripped))
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number, len(lines))
    if progress is not None:
        progress(len(lines), len(lines))
    return entries


def _parse_csv(
    text: str, defaults: _Defaults, progress: ProgressCallback | None
) -> list[TermEntry]:
    total = text.count("\n") + 1
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise defaults.error(1, "empty CSV file: the header line is missing")
        columns = [name.strip().lower() for name in header]
        for name in columns:
            if name not in CSV_COLUMNS:
                raise defaults.error(
                    1, f"unknown column {name!r} (columns: {','.join(CSV_COLUMNS)})"
                )
        if len(set(columns)) != len(columns):
            raise defaults.error(1, "a column is named twice")
        if "term" not in columns:
            raise defaults.error(1, "the header has no 'term' column")
        entries: list[TermEntry] = []
        for row in reader:
            line = reader.line_num
            if not row:
                continue
            if len(row) != len(columns):
                raise defaults.error(line, f"{len(row)} fields where the header has {len(columns)}")
            fields = dict(zip(columns, row, strict=True))
            entries.append(defaults.entry(line, fields.pop("term"), **fields))
            if progress is not None and line % PROGRESS_EVERY == 0:
                progress(line, total)
    except csv.Error as error:
        raise defaults.error(reader.line_num or 1, f"malformed CSV: {error}") from None
    if progress is not None:
        progress(total, total)
    return entries


def parse_term_text(
    text: str,
    *,
    source: str,
    csv_format: bool,
    category: str | None = None,
    locale: str = "",
    match: MatchMode | None = None,
    known_categories: Collection[str] | None = None,
    progress: ProgressCallback | None = None,
) -> list[TermEntry]:
    """Parse term-file content; see the module docstring. ``source`` names it in errors."""
    defaults = _Defaults(source, category, locale, match, known_categories)
    if locale and not _LOCALE_RE.fullmatch(locale.lower()):
        raise defaults.error(0, f"bad --locale {locale!r}: give a language subtag such as fr")
    if category is not None and category and not CATEGORY_NAME_RE.fullmatch(category):
        raise defaults.error(0, f"bad --category {category!r}")
    if csv_format:
        return _parse_csv(text, defaults, progress)
    return _parse_plain(text, defaults, progress)


def parse_term_file(
    path: Path,
    *,
    category: str | None = None,
    locale: str = "",
    match: MatchMode | None = None,
    known_categories: Collection[str] | None = None,
    progress: ProgressCallback | None = None,
) -> list[TermEntry]:
    """Parse a term file: CSV when its name ends in ``.csv``, else plain text (UTF-8)."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise TermFileError(source, 0, f"cannot read: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise TermFileError(source, line, "not valid UTF-8") from None
    return parse_term_text(
        text,
        source=source,
        csv_format=path.name.lower().endswith(".csv"),
        category=category,
        locale=locale,
        match=match,
        known_categories=known_categories,
        progress=progress,
    )


def format_terms_csv(entries: Iterable[TermEntry]) -> str:
    """Entries as CSV with every column; ``parse_term_text`` reads it back equal."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow(
            [
                entry.term,
                entry.category,
                entry.match.value,
                entry.locale,
                entry.kind.value,
                entry.note,
                entry.rule_id,
            ]
        )
    return buffer.getvalue()
