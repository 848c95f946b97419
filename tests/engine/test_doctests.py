"""The runnable examples in the docstrings of MatchMode and Matcher hold."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest
from suggestfilter import _model
from suggestfilter.engine import _matcher


@pytest.mark.parametrize(
    ("module", "examples"),
    [
        pytest.param(_model, 6, id="MatchMode"),
        pytest.param(_matcher, 8, id="Matcher"),
    ],
)
def test_docstring_examples_run(module: ModuleType, examples: int) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted == examples  # no example silently dropped
