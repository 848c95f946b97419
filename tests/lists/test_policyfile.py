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


BAD_POLICIES = [
    ('[categories.p]\nsuggestions = "intervene"\n', "categories.p.suggestions"),
    ('[categories.p]\nquery = "maybe"\n', "categories.p.query"),
    ('[categories.p]\nquery = "intervene"\n', "needs at least one"),
    ('[categories.p]\nqeury = "block"\n', "unknown key 'qeury'"),
    ("[category.p]\n", "unknown top-level key"),
    ('[categories.p.interventions.EN]\nmessage = "x"\n', "lowercase subtag"),
    ('[categories.p.interventions.en]\nhelp_url = "x"\n', "message must be"),
    ('[categories.p.interventions.en]\nmessage = "x"\nurl = "y"\n', "unknown key 'url'"),
    ('[categories."bad name"]\n', "category name"),
    ("categories = 3\n", "must be a table"),
    ("[categories.p\n", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "why"), BAD_POLICIES)
def test_bad_policy_is_rejected_with_a_reason(text: str, why: str) -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policy_toml(text, source="policy.toml")
    assert why in str(raised.value)
    assert str(raised.value).startswith("policy.toml: ")
