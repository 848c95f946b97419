"""The matching engine: folding, hashtag segmentation and the compiled matcher.

Pure computation over the value types of :mod:`suggestfilter._model`: no I/O,
no gRPC. :class:`Matcher` is what most users need; :func:`fold` is the
normalisation that terms and text share; :class:`Explanation` and
:class:`ExplainedMatch` are what :meth:`Matcher.explain` returns.

Inside, :mod:`._compile` builds the tables from term entries,
:mod:`._analysis` runs text through them and :mod:`._policy` turns matches
into verdicts; :mod:`._matcher` ties them together.
"""

from __future__ import annotations

from suggestfilter.engine._analysis import ExplainedMatch, Explanation
from suggestfilter.engine._fold import fold
from suggestfilter.engine._matcher import Matcher

__all__ = ["ExplainedMatch", "Explanation", "Matcher", "fold"]
