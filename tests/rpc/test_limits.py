"""Request limits and the validator of the public API."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from suggestfilter._errors import InvalidInputError
from suggestfilter._model import SuggestionKind
from suggestfilter.rpc._limits import (
    Limits,
    is_well_formed_locale,
    validate_keystroke,
    validate_report,
)


@dataclass(frozen=True)
class S:
    text: str
    kind: int = 1


# -- BCP 47 -----------------------------------------------------------------------------

WELL_FORMED = [
    "en",
    "fr-FR",
    "EN-us",
    "zh-Hant-TW",
    "sr-Latn-RS",
    "es-419",
    "de-CH-1996",
    "sl-rozaj-biske",
    "en-US-u-ca-gregory",
    "en-US-x-twain",
    "x-private",
    "i-klingon",
    "zh-min-nan",
    "art-lojban",
    "ast",
    "zh-yue-HK",
]

NOT_WELL_FORMED = [
    ("underscore", "fr_FR"),
    ("one letter", "f"),
    ("nine letters", "frenchish"),
    ("trailing hyphen", "fr-"),
    ("leading hyphen", "-fr"),
    ("double hyphen", "fr--FR"),
    ("digits as language", "123"),
    ("space", "fr FR"),
    ("trailing newline", "fr-FR\n"),
    ("non-ASCII letters", "fr-ÉÉ"),
    ("region too long", "en-USAA-"),
    ("singleton without subtag", "en-u"),
    ("private use too long", "x-abcdefghi"),
    ("sentence", "french please"),
]


@pytest.mark.parametrize("tag", WELL_FORMED)
def test_well_formed_locales(tag: str) -> None:
    assert is_well_formed_locale(tag)
    assert validate_keystroke("", [], tag, Limits()) == []


@pytest.mark.parametrize(
    "tag", [case[1] for case in NOT_WELL_FORMED], ids=[case[0] for case in NOT_WELL_FORMED]
)
def test_not_well_formed_locales(tag: str) -> None:
    assert not is_well_formed_locale(tag)
    with pytest.raises(InvalidInputError) as raised:
        validate_keystroke("", [], tag, Limits())
    assert raised.value.field == "locale"


def test_locale_length_limit_comes_before_syntax() -> None:
    thirty_five = "en-" + "-".join(["abcdefgh"] * 3) + "-abcde"
    assert len(thirty_five) == 35
    validate_keystroke("", [], thirty_five, Limits())
    with pytest.raises(InvalidInputError) as raised:
        validate_keystroke("", [], thirty_five + "f", Limits())
    assert (raised.value.field, raised.value.description) == ("locale", "at most 35 characters")


# -- keystrokes -------------------------------------------------------------------------

KEYSTROKE_ERRORS = [
    # name, query, suggestions, locale, limits, field
    ("query too long", "q" * 513, [], "", Limits(), "query"),
    ("too many suggestions", "", [S("a")] * 51, "", Limits(), "suggestions"),
    ("first long text", "", [S("x" * 513)], "", Limits(), "suggestions[0].text"),
    ("fourth long text", "", [S("a")] * 3 + [S("x" * 513)], "", Limits(), "suggestions[3].text"),
    ("unknown kind", "", [S("a", 4)], "", Limits(), "suggestions[0].kind"),
    ("negative kind", "", [S("a"), S("b", -1)], "", Limits(), "suggestions[1].kind"),
    ("custom count", "", [S("a")] * 3, "", Limits(max_suggestions=2), "suggestions"),
    ("custom length", "", [S("abc")], "", Limits(max_text_chars=2), "suggestions[0].text"),
    ("query checked first", "q" * 513, [S("x" * 513)], "fr_FR", Limits(), "query"),
    ("then locale", "", [S("x" * 513)], "fr_FR", Limits(), "locale"),
]


@pytest.mark.parametrize(
    ("query", "suggestions", "locale", "limits", "field"),
    [case[1:] for case in KEYSTROKE_ERRORS],
    ids=[case[0] for case in KEYSTROKE_ERRORS],
)
def test_keystroke_errors_name_the_field(
    query: str, suggestions: list[S], locale: str, limits: Limits, field: str
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        validate_keystroke(query, suggestions, locale, limits)
    assert raised.value.field == field
    assert str(raised.value).startswith(field + ": ")


def test_length_counts_characters_not_bytes() -> None:
    emoji = "\U0001f600" * 512
    assert validate_keystroke(emoji, [S(emoji)], "", Limits()) == [(emoji, SuggestionKind.QUERY)]


def test_valid_keystroke_returns_pairs_in_order_with_kinds() -> None:
    pairs = validate_keystroke(
        "typed", [S("a", 0), S("#b", 2), S("c", 3), S("", 1)], "fr-FR", Limits()
    )
    assert pairs == [
        ("a", SuggestionKind.UNSPECIFIED),
        ("#b", SuggestionKind.HASHTAG),
        ("c", SuggestionKind.ACCOUNT),
        ("", SuggestionKind.QUERY),
    ]
    assert all(type(kind) is SuggestionKind for _, kind in pairs)


def test_descriptions_never_quote_the_text() -> None:
    secret = "privacy-probe-" + "z" * 600
    cases = [
        lambda: validate_keystroke(secret, [], "", Limits()),
        lambda: validate_keystroke("", [S(secret)], "", Limits()),
        lambda: validate_keystroke("", [S("a", 99)], "privacy-probe", Limits()),
        lambda: validate_keystroke("", [], "privacy-probe_x", Limits()),
        lambda: validate_report(secret, 1, "", "", "", Limits()),
    ]
    for case in cases:
        with pytest.raises(InvalidInputError) as raised:
            case()
        assert "privacy-probe" not in str(raised.value)


# -- reports ----------------------------------------------------------------------------

REPORT_ERRORS = [
    # name, (text, kind, locale, reason, reporter), field
    ("text required", ("", 2, "", "", ""), "suggestion.text"),
    ("text too long", ("x" * 513, 2, "", "", ""), "suggestion.text"),
    ("unknown kind", ("x", 5, "", "", ""), "suggestion.kind"),
    ("bad locale", ("x", 2, "en_GB", "", ""), "locale"),
    ("reason too long", ("x", 2, "", "r" * 1001, ""), "reason"),
    ("reporter too long", ("x", 2, "", "", "u" * 257), "reporter"),
]


@pytest.mark.parametrize(
    ("fields", "field"),
    [case[1:] for case in REPORT_ERRORS],
    ids=[case[0] for case in REPORT_ERRORS],
)
def test_report_errors_name_the_field(fields: tuple[str, int, str, str, str], field: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        validate_report(*fields, Limits())
    assert raised.value.field == field


def test_valid_report_returns_its_kind() -> None:
    kind = validate_report("#tag", 2, "fr", "r" * 1000, "u" * 256, Limits())
    assert kind is SuggestionKind.HASHTAG


# -- Limits -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["max_suggestions", "max_text_chars", "max_locale_chars"])
@pytest.mark.parametrize("value", [0, -1])
def test_limits_must_be_positive(name: str, value: int) -> None:
    with pytest.raises(ValueError, match=name):
        Limits(**{name: value})


def test_max_message_bytes_grows_with_the_limits() -> None:
    base = Limits().max_message_bytes
    assert Limits(max_suggestions=100).max_message_bytes > base
    assert Limits(max_text_chars=1024).max_message_bytes > base
    assert Limits(max_suggestions=1, max_text_chars=8).max_message_bytes < base
    # 50 suggestions of 512 four-byte characters, doubled: well below gRPC's 4 MiB default.
    assert 2 * 50 * 512 * 4 < base < 4 * 1024 * 1024
