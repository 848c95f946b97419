"""A dict bounded in bytes, for the engine's caches: most users can ignore this.

Every cache the engine keeps (squeezed words, the fold table, segmentations,
verdicts) is a :class:`ByteBoundedDict`: reads are plain dict look-ups (C
speed, no bookkeeping), and :meth:`~ByteBoundedDict.put` adds an entry's
estimated size to a running total and evicts the oldest entries until the
total is within the cache's budget. Eviction is oldest-inserted first, not
least-recently-used: LRU would cost a write on every read of the hot path.
An evicted entry is only recomputed, so the budgets trade memory for CPU,
never correctness.

The estimate of an entry is ``ENTRY_OVERHEAD`` (its share of the hash
table) plus the sizes of its key and value (:func:`object_size`):

>>> cache = ByteBoundedDict(1_000, name="example")
>>> cache.put("badword", "badword")
>>> cache.nbytes
176
>>> for word in ("a" * 100, "b" * 100, "c" * 100):
...     cache.put(word, word)
>>> list(cache) == ["b" * 100, "c" * 100] and cache.nbytes <= cache.budget
True
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

ENTRY_OVERHEAD = 64  # bytes: a dict slot and index, with the table's slack
_ASCII_HEADER = sys.getsizeof("")
_WIDE_HEADER = sys.getsizeof("\u00e9") - 2  # and one terminating unit

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def object_size(obj: object) -> int:
    """The estimated bytes of an object: strings by length and width, tuples with their items.

    A string's estimate does not depend on whether its UTF-8 form has been
    cached, so an entry weighs the same when it is evicted as when it was added.
    """
    if type(obj) is str:
        if obj.isascii():
            return _ASCII_HEADER + len(obj)
        widest = ord(max(obj))
        width = 1 if widest < 0x100 else 2 if widest < 0x10000 else 4
        return _WIDE_HEADER + (len(obj) + 1) * width
    if type(obj) is tuple:
        return sys.getsizeof(obj) + sum(map(object_size, obj))
    return sys.getsizeof(obj)


def entry_size(key: object, value: object) -> int:
    """The estimated bytes an entry holds: ``ENTRY_OVERHEAD``, its key and its value."""
    return ENTRY_OVERHEAD + object_size(key) + object_size(value)


class ByteBoundedDict(dict[K, V]):
    """A dict whose entries, added with :meth:`put`, stay within ``budget`` bytes.

    Read it as a dict. Write only with :meth:`put` (a subclass may call it
    from ``__missing__``). ``size_of`` estimates an entry's bytes
    (:func:`entry_size` unless a cache knows the shape of its entries).
    Safe to share between threads: writes take a lock, reads do not. An
    entry larger than the whole budget is not kept.
    """

    __slots__ = ("_lock", "_size_of", "budget", "name", "nbytes")

    def __init__(
        self,
        budget: int,
        *,
        name: str,
        size_of: Callable[[K, V], int] = entry_size,
    ) -> None:
        super().__init__()
        self.budget = budget
        self.name = name
        self.nbytes = 0
        self._size_of = size_of
        self._lock = threading.Lock()

    def put(self, key: K, value: V) -> None:
        """Keep ``key -> value``, evicting the oldest entries to stay within the budget."""
        size = self._size_of(key, value)
        if size > self.budget:
            return
        with self._lock:
            if key in self:
                return
            while self.nbytes + size > self.budget and self:
                oldest = next(iter(self))
                self.nbytes -= self._size_of(oldest, dict.pop(self, oldest))
            dict.__setitem__(self, key, value)
            self.nbytes += size

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            dict.clear(self)
            self.nbytes = 0
