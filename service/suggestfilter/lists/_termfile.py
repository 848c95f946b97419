"""Term files: parse a whole file into term entries, or reject it whole.

Two formats:

- CSV (file name ends in ``.csv``): a header naming some of the columns
  ``term,category,match,locale,kind,note,rule_id`` (``term`` required, in
  any order), then one entry per row. Empty cells take the defaults given on
  the command line (``--category``, ``--locale``, ``--match``), else ``word``,
  global, ``block``, and a fresh rule id.
- Plain text: one term per line; empty lines and lines starting with ``#``
  are ignored; category, locale and match come from the command line.

Each entry is checked and normalised by :func:`._validate.make_entry`, the
rules every way into a store shares (fields stripped of surrounding
whitespace except the note, locale lower-cased). Any bad line -- an entry
that breaks one of those rules, a category the policy lacks, a rule id given
twice, a malformed CSV row -- raises
:class:`~suggestfilter._errors.TermFileError` naming the source, the 1-based
line and the field, and nothing is returned: a file is loaded whole or not at
all.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from suggestfilter._errors import InvalidInputError, TermFileError
from suggestfilter._model import EntryKind, MatchMode, TermEntry
from suggestfilter.lists._validate import check_category_name, check_locale, make_entry

CSV_COLUMNS = ("term", "category", "match", "locale", "kind", "note", "rule_id")
PROGRESS_EVERY = 10_000


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
        category = category.strip() or self.category
        if term.strip() and not category:
            raise self.error(line, "no category (give one in the file or with --category)")
        try:
            entry = make_entry(
                term=term,
                category=category,
                match=match.strip() or self.match,
                locale=locale.strip() or self.locale,
                kind=kind.strip() or EntryKind.BLOCK,
                rule_id=rule_id,
                note=note,
            )
        except InvalidInputError as error:
            raise self.error(line, str(error)) from None
        if self.known_categories is not None and entry.category not in self.known_categories:
            raise self.error(line, f"unknown category {entry.category!r} (not in the policy)")
        if rule_id.strip():
            if entry.rule_id in self.rule_ids:
                raise self.error(line, f"duplicate rule id {entry.rule_id!r}")
            self.rule_ids.add(entry.rule_id)
        return entry


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
        end = reader.line_num
        for row in reader:
            # a row is named by its first line (a quoted cell may span several)
            line, end = end + 1, reader.line_num
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
    try:
        check_locale(locale, "--locale")
        if category:
            check_category_name(category, "--category")
    except InvalidInputError as error:
        raise defaults.error(0, str(error)) from None
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
    # Minimal quoting leaves a lone carriage return bare, which a reader takes
    # for a line end: a row holding one is written fully quoted.
    quoted = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        row = [
            entry.term,
            entry.category,
            entry.match.value,
            entry.locale,
            entry.kind.value,
            entry.note,
            entry.rule_id,
        ]
        (quoted if any("\r" in cell for cell in row) else writer).writerow(row)
    return buffer.getvalue()
