"""Policy files: the TOML shape of the design, strictly validated, round-tripping."""

from __future__ import annotations

import pytest
from suggestfilter import Action, CategoryPolicy, Intervention, Policy, PolicyError
from suggestfilter.lists._policyfile import format_policy_toml, parse_policy_toml

DESIGN_EXAMPLE = """
[categories.profanity]
suggestions = "block"
query = "block"

[categories.exploitation]
suggestions = "block"
query = "intervene"

[categories.exploitation.interventions.en]
message = "Searching for this may be illegal. Confidential help is available."
help_url = "https://example.org/help"
"""


def test_the_design_example_parses() -> None:
    policy = parse_policy_toml(DESIGN_EXAMPLE)
    assert policy == Policy(
        {
            "profanity": CategoryPolicy(Action.BLOCK, Action.BLOCK),
            "exploitation": CategoryPolicy(
                Action.BLOCK,
                Action.INTERVENE,
                {
                    "en": Intervention(
                        "Searching for this may be illegal. Confidential help is available.",
                        "https://example.org/help",
                    )
                },
            ),
        }
    )


def test_round_trip_keeps_language_order_and_odd_characters() -> None:
    policy = Policy(
        {
            "a-b_c": CategoryPolicy(Action.ALLOW, Action.ALLOW),
            "x": CategoryPolicy(
                Action.BLOCK,
                Action.INTERVENE,
                {
                    "fr": Intervention('Il existe de l\'aide "confidentielle".\nLigne 2 \\ \x7f'),
                    "en": Intervention("Help \u00e9\u4e2d.", "https://example.org/?a=1&b=\u00e9"),
                },
            ),
        }
    )
    text = format_policy_toml(policy)
    parsed = parse_policy_toml(text)
    assert parsed == policy
    assert list(parsed.categories["x"].interventions) == ["fr", "en"]


def test_defaults_are_block() -> None:
    policy = parse_policy_toml("[categories.p]\n")
    assert policy.categories["p"] == CategoryPolicy(Action.BLOCK, Action.BLOCK)


def test_languages_are_lower_cased_and_names_stripped() -> None:
    policy = parse_policy_toml(
        '[categories." p "]\nquery = "intervene"\n'
        '[categories." p ".interventions.EN]\nmessage = "Help."\n'
    )
    assert policy == Policy(
        {"p": CategoryPolicy(Action.BLOCK, Action.INTERVENE, {"en": Intervention("Help.")})}
    )


BAD_POLICIES = [
    pytest.param(
        '[categories.p]\nsuggestions = "intervene"\n',
        "categories.p.suggestions",
        id="suggestions-intervene",
    ),
    pytest.param('[categories.p]\nquery = "maybe"\n', "categories.p.query", id="unknown-action"),
    pytest.param("[categories.p]\nquery = 3\n", "categories.p.query", id="action-not-a-string"),
    pytest.param(
        '[categories.p]\nquery = "intervene"\n', "needs at least one", id="intervene-no-message"
    ),
    pytest.param('[categories.p]\nqeury = "block"\n', "unknown key 'qeury'", id="typo-key"),
    pytest.param("[category.p]\n", "unknown top-level key", id="unknown-top-level"),
    pytest.param(
        '[categories.p.interventions.en-GB]\nmessage = "x"\n',
        "categories.p.interventions.en-GB: bad language",
        id="language-with-region",
    ),
    pytest.param(
        '[categories.p.interventions.en]\nmessage = "x"\n[categories.p.interventions.EN]\n'
        'message = "y"\n',
        "given twice",
        id="language-twice-in-two-cases",
    ),
    pytest.param(
        '[categories.p.interventions.en]\nhelp_url = "x"\n', "message must be", id="no-message"
    ),
    pytest.param(
        '[categories.p.interventions.en]\nmessage = " \\n"\n',
        "categories.p.interventions.en.message: must be a non-empty string",
        id="blank-message",
    ),
    pytest.param(
        '[categories.p.interventions.en]\nmessage = "x"\nhelp_url = "a\\nb"\n',
        "categories.p.interventions.en.help_url",
        id="help-url-line-break",
    ),
    pytest.param(
        '[categories.p.interventions.en]\nmessage = "x"\nurl = "y"\n',
        "unknown key 'url'",
        id="intervention-typo-key",
    ),
    pytest.param('[categories."bad name"]\n', "category name", id="name-with-space"),
    pytest.param('[categories."bad name!"]\n', "category name", id="name-with-bang"),
    pytest.param('[categories.p]\n[categories." p"]\n', "given twice", id="name-twice"),
    pytest.param("categories = 3\n", "must be a table", id="categories-not-a-table"),
    pytest.param("[categories.p\n", "not valid TOML", id="not-toml"),
]


@pytest.mark.parametrize(("text", "why"), BAD_POLICIES)
def test_bad_policy_is_rejected_with_a_reason(text: str, why: str) -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policy_toml(text, source="policy.toml")
    assert why in str(raised.value)
    assert str(raised.value).startswith("policy.toml: ")
