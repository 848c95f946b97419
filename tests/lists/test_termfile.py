"""Term files: CSV and plain text parse whole or are rejected whole, naming the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from suggestfilter import EntryKind, MatchMode, TermEntry, TermFileError
from suggestfilter.lists._termfile import format_terms_csv, parse_term_file, parse_term_text

CATEGORIES = {"profanity", "exploitation"}


def _csv(text: str, **options: object) -> list[TermEntry]:
    return parse_term_text(text, source="terms.csv", csv_format=True, **options)  # type: ignore[arg-type]


def test_csv_with_every_column() -> None:
    entries = _csv(
        "term,category,match,locale,kind,note,rule_id\n"
        'badword,profanity,substring,FR,allow,"a note, with a comma",r-1\n'
    )
    assert entries == [
        TermEntry(
            term="badword",
            category="profanity",
            match=MatchMode.SUBSTRING,
            locale="fr",
            kind=EntryKind.ALLOW,
            rule_id="r-1",
            note="a note, with a comma",
        )
    ]


def test_csv_empty_cells_take_the_command_line_defaults() -> None:
    entries = _csv(
        "kind,term,category\n,badword,\n,zorblax,exploitation\n",
        category="profanity",
        locale="de",
        match=MatchMode.SUBSTRING,
    )
    assert [(e.term, e.category, e.locale, e.match, e.kind) for e in entries] == [
        ("badword", "profanity", "de", MatchMode.SUBSTRING, EntryKind.BLOCK),
        ("zorblax", "exploitation", "de", MatchMode.SUBSTRING, EntryKind.BLOCK),
    ]
    assert all(e.rule_id.startswith("r-") for e in entries)
    assert entries[0].rule_id != entries[1].rule_id


def test_plain_file_skips_empty_and_comment_lines() -> None:
    entries = parse_term_text(
        "# a comment\n\nbadword\n  zorblax  \n",
        source="terms.txt",
        csv_format=False,
        category="profanity",
        locale="fr",
    )
    assert [(e.term, e.category, e.locale, e.match) for e in entries] == [
        ("badword", "profanity", "fr", MatchMode.WORD),
        ("zorblax", "profanity", "fr", MatchMode.WORD),
    ]


def test_format_then_parse_round_trips() -> None:
    entries = [
        TermEntry("badword", "profanity", rule_id="r-a"),
        TermEntry(
            "bad thing",
            "exploitation",
            MatchMode.SUBSTRING,
            "fr",
            EntryKind.ALLOW,
            "r-b",
            'note with "quotes", commas\nand a newline',
        ),
        TermEntry("zorblax", "profanity", rule_id="r-c", note="a lone\rcarriage return"),
    ]
    text = format_terms_csv(entries)
    assert text.splitlines()[0] == "term,category,match,locale,kind,note,rule_id"
    assert _csv(text) == entries


BAD_CSV = [
    pytest.param("term,category\n,profanity\n", 2, "empty term", id="empty-term"),
    pytest.param(
        "term,category\n\u200b\u00ad,profanity\n", 2, "folds to nothing", id="invisible-term"
    ),
    pytest.param("term,category\n!!!,profanity\n", 2, "folds to nothing", id="punctuation-term"),
    pytest.param(
        'term,category\n"bad\nword",profanity\n',
        2,
        "term: a term has no line break",
        id="term-line-break",
    ),
    pytest.param(
        "term,category,match\nbadword,profanity,fuzzy\n",
        2,
        "unknown match mode",
        id="unknown-match",
    ),
    pytest.param(
        "term,category,kind\nbadword,profanity,maybe\n", 2, "unknown kind", id="unknown-kind"
    ),
    pytest.param(
        "term,category\nok,profanity\nbadword,nosuch\n",
        3,
        "unknown category",
        id="category-not-in-policy",
    ),
    pytest.param(
        "term,category\nbadword,bad name!\n",
        2,
        "category: bad category name",
        id="bad-category-name",
    ),
    pytest.param("term,category\nbadword,\n", 2, "no category", id="no-category"),
    pytest.param("term,category\nbadword,profanity,extra\n", 2, "3 fields", id="extra-field"),
    pytest.param("term,category\nbadword\n", 2, "1 fields", id="missing-field"),
    pytest.param(
        'term,category\nok,profanity\n"badword,profanity\n', 3, "malformed CSV", id="open-quote"
    ),
    pytest.param('term,category\n"bad"word,profanity\n', 2, "malformed CSV", id="stray-quote"),
    pytest.param(
        "term,category,locale\nbadword,profanity,fr-FR\n", 2, "bad locale", id="locale-with-region"
    ),
    pytest.param(
        "term,category,locale\nbadword,profanity,FR-ca\n",
        2,
        "locale: bad locale 'FR-ca'",
        id="locale-with-region-mixed-case",
    ),
    pytest.param(
        "term,category,rule_id\nbadword,profanity,r 1\n",
        2,
        "rule_id: bad rule id",
        id="rule-id-with-space",
    ),
    pytest.param(
        "term,category,rule_id\na,profanity,r-1\nb,profanity,r-1\n",
        3,
        "duplicate rule id",
        id="duplicate-rule-id",
    ),
    pytest.param("term,colour\nbadword,red\n", 1, "unknown column", id="unknown-column"),
    pytest.param("category\nprofanity\n", 1, "no 'term' column", id="no-term-column"),
    pytest.param("", 1, "header line is missing", id="empty-file"),
]


@pytest.mark.parametrize(("text", "line", "why"), BAD_CSV)
def test_bad_csv_is_rejected_naming_the_line(text: str, line: int, why: str) -> None:
    with pytest.raises(TermFileError) as raised:
        _csv(text, known_categories=CATEGORIES)
    assert raised.value.line == line
    assert why in raised.value.description
    assert str(raised.value).startswith(f"terms.csv:{line}: ")


def test_plain_file_without_category_is_rejected() -> None:
    with pytest.raises(TermFileError, match="no category"):
        parse_term_text("badword\n", source="terms.txt", csv_format=False)


def test_plain_file_bad_line_is_rejected_whole() -> None:
    with pytest.raises(TermFileError) as raised:
        parse_term_text(
            "badword\nzorblax\n\u200b\n", source="t.txt", csv_format=False, category="p"
        )
    assert raised.value.line == 3


def test_parse_term_file_picks_the_format_by_name(tmp_path: Path) -> None:
    csv_file = tmp_path / "list.csv"
    csv_file.write_text("term\nbadword\n", encoding="utf-8")
    plain_file = tmp_path / "list.txt"
    plain_file.write_text("term\nbadword\n", encoding="utf-8")
    assert [e.term for e in parse_term_file(csv_file, category="p")] == ["badword"]
    assert [e.term for e in parse_term_file(plain_file, category="p")] == ["term", "badword"]


def test_parse_term_file_rejects_invalid_utf8_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(b"badword\nzorbl\xffax\n")
    with pytest.raises(TermFileError) as raised:
        parse_term_file(path, category="p")
    assert raised.value.line == 2


def test_parse_term_file_reports_progress(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("".join(f"term{i}\n" for i in range(25_000)), encoding="utf-8")
    calls: list[tuple[int, int]] = []
    entries = parse_term_file(
        path, category="p", progress=lambda done, total: calls.append((done, total))
    )
    assert len(entries) == 25_000
    assert calls[0] == (10_000, 25_000)
    assert calls[-1] == (25_000, 25_000)
