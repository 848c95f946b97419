"""The one validator: what it accepts, how it normalises, what it refuses (naming the field),
and that whatever it accepts round-trips through the term and policy files."""

from __future__ import annotations

import random

import pytest
from suggestfilter import InvalidInputError
from suggestfilter._model import (
    Action,
    CategoryPolicy,
    EntryKind,
    Intervention,
    MatchMode,
    Policy,
    TermEntry,
)
from suggestfilter.lists._policyfile import format_policy_toml, parse_policy_toml
from suggestfilter.lists._termfile import format_terms_csv, parse_term_text
from suggestfilter.lists._validate import (
    PolicyFields,
    check_category,
    check_entry,
    check_policy,
    make_entry,
)

# --- term entries ------------------------------------------------------------------------

NORMALISED_ENTRIES = [
    pytest.param(
        TermEntry("badword", "profanity", rule_id="r-1"),
        TermEntry("badword", "profanity", rule_id="r-1"),
        id="already-normal",
    ),
    pytest.param(
        TermEntry("  badword\u3000", " profanity ", locale=" FR ", rule_id=" r-1 ", note=" n "),
        TermEntry("badword", "profanity", locale="fr", rule_id="r-1", note=" n "),
        id="stripped-and-lower-cased-note-kept",
    ),
    pytest.param(
        TermEntry("badword", "profanity", locale="FIL", rule_id="r-1"),
        TermEntry("badword", "profanity", locale="fil", rule_id="r-1"),
        id="three-letter-language",
    ),
]


@pytest.mark.parametrize(("given", "stored"), NORMALISED_ENTRIES)
def test_entries_are_normalised(given: TermEntry, stored: TermEntry) -> None:
    assert check_entry(given) == stored


def test_an_empty_rule_id_gets_a_fresh_one() -> None:
    first = check_entry(TermEntry("badword", "profanity", rule_id=""))
    second = check_entry(TermEntry("badword", "profanity", rule_id=" "))
    assert first.rule_id.startswith("r-") and second.rule_id.startswith("r-")
    assert first.rule_id != second.rule_id


def test_match_and_kind_words_in_any_case() -> None:
    entry = make_entry(term="badword", category="p", match="SUBSTRING", kind="Allow")
    assert (entry.match, entry.kind) == (MatchMode.SUBSTRING, EntryKind.ALLOW)


BAD_ENTRIES = [
    pytest.param({"term": " "}, "term", "empty term", id="blank-term"),
    pytest.param({"term": "!!!"}, "term", "folds to nothing", id="term-folds-to-nothing"),
    pytest.param({"term": "\u200b"}, "term", "folds to nothing", id="term-only-invisible"),
    pytest.param({"term": "bad\nword"}, "term", "control character", id="term-line-break"),
    pytest.param({"term": "bad\u2028word"}, "term", "control character", id="term-line-sep"),
    pytest.param({"term": "bad\tword"}, "term", "control character", id="term-tab"),
    pytest.param({"term": "b" * 513}, "term", "longer than 512", id="term-too-long"),
    pytest.param({"category": ""}, "category", "must not be empty", id="no-category"),
    pytest.param({"category": "bad name!"}, "category", "category name", id="category-bang"),
    pytest.param({"category": "a.b"}, "category", "category name", id="category-dot"),
    pytest.param({"category": "c" * 65}, "category", "category name", id="category-too-long"),
    pytest.param({"category": "caf\u00e9"}, "category", "category name", id="category-non-ascii"),
    pytest.param({"locale": "FR-ca"}, "locale", "bad locale 'FR-ca'", id="locale-with-region"),
    pytest.param({"locale": "fr_FR"}, "locale", "bad locale", id="locale-underscore"),
    pytest.param({"locale": "f"}, "locale", "bad locale", id="locale-one-letter"),
    pytest.param({"locale": "fran"}, "locale", "bad locale", id="locale-four-letters"),
    pytest.param({"rule_id": "r 1"}, "rule_id", "bad rule id", id="rule-id-space"),
    pytest.param({"rule_id": "r,1"}, "rule_id", "bad rule id", id="rule-id-comma"),
    pytest.param({"rule_id": 'r"1'}, "rule_id", "bad rule id", id="rule-id-quote"),
    pytest.param({"rule_id": "r" * 65}, "rule_id", "bad rule id", id="rule-id-too-long"),
    pytest.param({"match": "fuzzy"}, "match", "unknown match mode", id="unknown-match"),
    pytest.param({"kind": "maybe"}, "kind", "unknown kind", id="unknown-kind"),
    pytest.param({"note": "n" * 4097}, "note", "longer than 4096", id="note-too-long"),
]


@pytest.mark.parametrize(("fields", "field", "why"), BAD_ENTRIES)
def test_bad_entries_are_refused_naming_the_field(
    fields: dict[str, str], field: str, why: str
) -> None:
    values = {"term": "badword", "category": "profanity", **fields}
    with pytest.raises(InvalidInputError) as raised:
        make_entry(**values, field="add[2]")  # type: ignore[arg-type]
    assert raised.value.field == f"add[2].{field}"
    assert why in raised.value.description


def test_an_error_never_quotes_the_term() -> None:
    with pytest.raises(InvalidInputError) as raised:
        make_entry(term="zorblax\x00x", category="p")
    assert "zorblax" not in str(raised.value)


# --- category policies -------------------------------------------------------------------

HELP = Intervention("Help is available.", "https://example.org/help")

BAD_CATEGORIES = [
    pytest.param(
        "bad name!", CategoryPolicy(), "set_policies[1].category", "category name", id="name"
    ),
    pytest.param(
        "p",
        CategoryPolicy(suggestions=Action.INTERVENE),
        "set_policies[1].suggestions",
        "allow | block",
        id="suggestions-intervene",
    ),
    pytest.param(
        "p",
        CategoryPolicy(query=Action.INTERVENE),
        "set_policies[1].interventions",
        "needs at least one",
        id="intervene-without-message",
    ),
    pytest.param(
        "p",
        CategoryPolicy(interventions={"en": HELP, "en-GB": HELP}),
        "set_policies[1].interventions[1].language",
        "bad language 'en-GB'",
        id="language-with-region",
    ),
    pytest.param(
        "p",
        CategoryPolicy(interventions={"en": HELP, "EN": HELP}),
        "set_policies[1].interventions[1].language",
        "given twice",
        id="language-twice",
    ),
    pytest.param(
        "p",
        CategoryPolicy(interventions={"en": Intervention(" \n")}),
        "set_policies[1].interventions[0].message",
        "non-empty",
        id="blank-message",
    ),
    pytest.param(
        "p",
        CategoryPolicy(interventions={"en": Intervention("m" * 4097)}),
        "set_policies[1].interventions[0].message",
        "longer than 4096",
        id="message-too-long",
    ),
    pytest.param(
        "p",
        CategoryPolicy(interventions={"en": Intervention("Help.", "https://x/\n")}),
        "set_policies[1].interventions[0].help_url",
        "control character",
        id="help-url-line-break",
    ),
    pytest.param(
        "p",
        CategoryPolicy(interventions={"en": Intervention("Help.", "u" * 2049)}),
        "set_policies[1].interventions[0].help_url",
        "longer than 2048",
        id="help-url-too-long",
    ),
    *(
        pytest.param(
            "p",
            CategoryPolicy(interventions={"en": Intervention("Help.", url)}),
            "set_policies[1].interventions[0].help_url",
            why,
            id=f"help-url-{name}",
        )
        for name, url, why in [
            ("javascript", "javascript:alert(1)", "https:, http:, mailto: or tel:"),
            ("data", "data:text/html,<b>x</b>", "https:, http:, mailto: or tel:"),
            ("relative", "/help", "https:, http:, mailto: or tel:"),
            ("no-host", "https:///help", "needs a host"),
        ]
    ),
]


@pytest.mark.parametrize(("name", "category", "field", "why"), BAD_CATEGORIES)
def test_bad_categories_are_refused_naming_the_field(
    name: str, category: CategoryPolicy, field: str, why: str
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        check_category(name, category, PolicyFields.of_request("set_policies[1]"))
    assert raised.value.field == field
    assert why in raised.value.description


def test_policy_languages_are_lower_cased_in_order() -> None:
    policy = Policy(
        {" p ": CategoryPolicy(Action.BLOCK, Action.INTERVENE, {"FR": HELP, "En": HELP})}
    )
    checked = check_policy(policy, "policy")
    assert list(checked.categories) == ["p"]
    assert list(checked.categories["p"].interventions) == ["fr", "en"]


def test_a_name_given_twice_after_stripping_is_refused() -> None:
    policy = Policy({"p": CategoryPolicy(), " p": CategoryPolicy()})
    with pytest.raises(InvalidInputError) as raised:
        check_policy(policy, "policy")
    assert raised.value.field == "policy.categories[1].category"


# --- whatever is accepted round-trips through the files (a seeded property test) -------------

# Characters that files quote, escape or strip, and the scripts real lists use.
_ALPHABET = (
    "abcXYZ019 ,;\"'#\\\t\n\r\x00\x1f\x7f\x85\u00a0\u2028\u200b\u00ad"
    "\u00e4\u00df\u0430\u03bf\u4e2d\u0627\ufb01\uff42\U0001f595\U0001f3fd\u200d=[]{}.:_-$@!"
)
_SAMPLES = 3000


def _text(rng: random.Random, longest: int) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, longest)))


def _random_entry(rng: random.Random, index: int) -> TermEntry | None:
    try:
        return make_entry(
            term=_text(rng, 12),
            category=rng.choice(["p", "A-b_9", "-", "_", "1", " p ", "p q", "p,q", ""]),
            match=rng.choice(list(MatchMode)),
            locale=rng.choice(["", "fr", "FR", " de ", "fr-CA", "x", "fil"]),
            kind=rng.choice(list(EntryKind)),
            rule_id=rng.choice(["", f"r-{index}", f" r.{index}:x ", f"r {index}", f"r,{index}"]),
            note=_text(rng, 20),
        )
    except InvalidInputError:
        return None


def test_every_accepted_entry_round_trips_through_csv() -> None:
    rng = random.Random(8)
    entries = [e for i in range(_SAMPLES) if (e := _random_entry(rng, i)) is not None]
    assert len(entries) > _SAMPLES // 10  # the generator reaches the accepted space
    text = format_terms_csv(entries)
    assert parse_term_text(text, source="export.csv", csv_format=True) == entries


def test_every_accepted_policy_round_trips_through_toml() -> None:
    rng = random.Random(4)
    categories: dict[str, CategoryPolicy] = {}
    tried = 0
    while len(categories) < 200:
        tried += 1
        interventions = {
            rng.choice(["en", "EN", "fr", "fil", "en-GB", ""]): Intervention(
                _text(rng, 30), _text(rng, 10)
            )
            for _ in range(rng.randint(0, 3))
        }
        category = CategoryPolicy(rng.choice(list(Action)), rng.choice(list(Action)), interventions)
        try:
            name, checked = check_category(
                f"c{tried}", category, PolicyFields.of_request("set_policies[0]")
            )
        except InvalidInputError:
            continue
        categories[name] = checked
    policy = Policy(categories)
    parsed = parse_policy_toml(format_policy_toml(policy))
    assert parsed == policy
    assert [list(c.interventions) for c in parsed.categories.values()] == [
        list(c.interventions) for c in categories.values()
    ]
