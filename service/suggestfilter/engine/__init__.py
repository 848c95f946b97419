"""The matching engine: folding, hashtag segmentation and the compiled matcher.

Pure computation over the value types of :mod:`suggestfilter._model`: no I/O,
no gRPC. :class:`Matcher` is what most users need; :func:`fold` is the
normalisation that terms and text share.
"""
