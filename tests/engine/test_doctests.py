"""The runnable examples in the docstrings of MatchMode, WorkBudget, Matcher and the
display order hold."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest
from suggestfilter import _model
from suggestfilter.engine import _bidi, _matcher


@pytest.mark.parametrize(
    ("module", "examples"),
    [
        pytest.param(_model, 10, id="MatchMode-WorkBudget"),
        pytest.param(_matcher, 14, id="Matcher"),
        pytest.param(_bidi, 3, id="display-order"),
    ],
)
def test_docstring_examples_run(module: ModuleType, examples: int) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted == examples  # no example silently dropped
