"""Coverage-guided fuzzing (atheris) of the public request path.

Bytes become a ``FilterRequest`` the way the server makes one: either parsed
from the wire with the servicer's tolerant parser (so malformed bytes are an
InvalidInputError, never a crash), or built from the bytes field by field
(query, up to 60 suggestions of any kind number, a locale), which reaches the
matcher with valid protobuf far more often. The request then goes through
``SuggestionFilterServicer.decide``: limits validation, then
``Matcher.decide`` over a small synthetic list with a block, an intervene and
an allow entry. Invariants:

- the only exception is InvalidInputError (a refused request);
- one verdict per suggestion;
- ``allowed`` is empty when the query verdict is BLOCK or INTERVENE, and is
  otherwise exactly the suggestions whose verdict is ALLOW, in order;
- the intervention is set exactly when the query verdict is INTERVENE.

Run it directly (libFuzzer options; a corpus directory is optional)::

    PYTHONPATH=service python tests/fuzz/fuzz_request.py -max_total_time=60

``tests/fuzz/test_fuzz_request.py`` runs it for a bounded time in CI.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["suggestfilter"]):
    from suggestfilter._errors import InvalidInputError
    from suggestfilter._model import (
        Action,
        CategoryPolicy,
        EntryKind,
        Intervention,
        MatchMode,
        Policy,
        TermEntry,
    )
    from suggestfilter.engine import Matcher
    from suggestfilter.serving._servicer import SuggestionFilterServicer, tolerant_parser
    from suggestfilter.serving._state import LoadedList, ServingState
    from suggestfilter.v1 import filter_pb2

POLICY = Policy(
    {
        "profanity": CategoryPolicy(suggestions=Action.BLOCK, query=Action.BLOCK),
        "exploitation": CategoryPolicy(
            suggestions=Action.BLOCK,
            query=Action.INTERVENE,
            interventions={"en": Intervention("Help is available.", "https://example.org/en")},
        ),
    }
)
ENTRIES = [
    TermEntry("badword", "profanity", rule_id="r-badword"),
    TermEntry("zorb", "profanity", match=MatchMode.SUBSTRING, rule_id="r-zorb"),
    TermEntry("zorblax", "exploitation", rule_id="r-zorblax"),
    TermEntry("zorblaxton", "exploitation", kind=EntryKind.ALLOW, rule_id="a-zorblaxton"),
    TermEntry("glimmock", "profanity", locale="fr", rule_id="r-glimmock"),
]
LOCALES = ("", "en", "fr-FR", "de", "en_US", "x", "zh-Hant-TW", "a" * 40)
BLOCKING = (Action.BLOCK, Action.INTERVENE)

_parse = tolerant_parser(filter_pb2.FilterRequest)
_state = ServingState()
_state.swap(LoadedList(Matcher.compile(ENTRIES, POLICY), version=1, checksum="fuzz"))
_servicer = SuggestionFilterServicer(_state)


def _structured(data: bytes) -> filter_pb2.FilterRequest:
    provider = atheris.FuzzedDataProvider(data)
    request = filter_pb2.FilterRequest(
        query=provider.ConsumeUnicodeNoSurrogates(provider.ConsumeIntInRange(0, 600)),
        locale=LOCALES[provider.ConsumeIntInRange(0, len(LOCALES) - 1)],
    )
    for _ in range(provider.ConsumeIntInRange(0, 60)):
        text = provider.ConsumeUnicodeNoSurrogates(provider.ConsumeIntInRange(0, 600))
        kind = provider.ConsumeIntInRange(0, 5)
        request.suggestions.add(text=text, kind=kind)  # type: ignore[arg-type]
    return request


def test_one_input(data: bytes) -> None:
    """One request from ``data`` through the servicer; raises when an invariant breaks."""
    request = _structured(data[1:]) if data[:1] and data[0] & 1 else _parse(data[1:])
    try:
        response = _servicer.decide(request)
    except InvalidInputError:
        return
    suggestions = list(request.suggestions)
    assert len(response.verdicts) == len(suggestions)
    query_action = Action(response.query_verdict.action)
    if query_action in BLOCKING:
        assert list(response.allowed) == []
    else:
        expected = [
            suggestion
            for suggestion, verdict in zip(suggestions, response.verdicts, strict=True)
            if verdict.action == Action.ALLOW
        ]
        assert list(response.allowed) == expected
    assert response.HasField("intervention") == (query_action is Action.INTERVENE)
    assert response.list_version == 1


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
