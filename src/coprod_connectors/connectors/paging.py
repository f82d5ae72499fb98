"""Pages of a pull: asking for the next page while this one is stored, and cursors.

- :func:`prefetch` runs a page generator in a helper thread, at most one page
  ahead of the one being converted and stored;
- :class:`PageSizes` says how large the next page is: larger while the server
  answers fast (fewer calls), smaller when it is slow or fails, within bounds;
- :func:`integer_cursor` reads the cursor a pull stored (a whole number, such as
  the last response id), refusing anything else with a clear message;
- :func:`fewer_collections` makes Python's cyclic garbage collector run less
  often during a pull.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from queue import Empty, Queue
from typing import Any, TypeVar

from coprod_connectors.errors import ConfigError

T = TypeVar("T")
_DONE = object()


@dataclass(frozen=True)
class _Raised:
    exc: BaseException


def prefetch(items: Iterator[T], *, name: str = "coprod-prefetch") -> Generator[T, None, None]:
    """``items``, each made in a helper thread (named ``name``) while the one before it
    is in use: at most one item ahead of the consumer.

    An exception in the helper comes out here, after the items made before it.
    Closing the result (``contextlib.closing``, or garbage collection) stops the
    helper once it has finished the item it is making, then closes ``items``:
    close the result before closing what ``items`` uses (the HTTP client).
    """
    handed: Queue[Any] = Queue(maxsize=1)
    wanted = threading.Semaphore(1)  # the first item is wanted at once
    stop = threading.Event()

    def produce() -> None:
        try:
            while True:
                wanted.acquire()
                if stop.is_set():
                    return
                try:
                    item = next(items)
                except StopIteration:
                    handed.put(_DONE)
                    return
                handed.put(item)
        except BaseException as exc:  # noqa: BLE001 - handed over to the consumer
            handed.put(_Raised(exc))

    helper = threading.Thread(target=produce, name=name, daemon=True)
    helper.start()
    try:
        while True:
            item = handed.get()
            if item is _DONE:
                return
            if isinstance(item, _Raised):
                raise item.exc
            wanted.release()  # make the next one while this one is used
            yield item
    finally:
        stop.set()
        wanted.release()
        while helper.is_alive():
            with suppress(Empty):
                handed.get_nowait()
            helper.join(timeout=0.05)
        if isinstance(items, Generator):
            items.close()


def integer_cursor(since: str | None, *, platform: str, unit: str) -> int | None:
    """The cursor ``since`` as a whole number (None stays None), or a ConfigError that
    says how to start again. ``unit`` says what the number is ("a response id")."""
    if since is None:
        return None
    text = since.strip()
    if text.isascii() and text.isdigit() and len(text) <= 30:
        return int(text)
    shown = "".join(c if c.isprintable() else "?" for c in since[:40])
    msg = f"{shown!r} is not a {platform} cursor ({unit})"
    raise ConfigError(msg, hint="run a full pull (coprod sync --full) to start again")


#: A page answered within this many seconds makes the next one twice as large; one
#: slower than SLOW_PAGE makes it half as large.
FAST_PAGE = 2.0
SLOW_PAGE = 10.0


@dataclass
class PageSizes:
    """How many items (rows, or ids of a range) the next page asks for, between
    ``smallest`` and ``largest``.

    The size doubles while the server answers within ``fast`` seconds (so a
    full pull makes few calls: a server's cost per call is paid less often),
    halves when an answer takes ``slow`` seconds or more, and halves again
    before a failed page is asked for once more; after a failure no page is larger
    than that (a size that failed is not tried again). ``largest`` bounds the memory
    a page takes; ``smallest`` is what a slow or failing server is asked for at
    worst.
    """

    size: int
    smallest: int
    largest: int
    fast: float = FAST_PAGE
    slow: float = SLOW_PAGE

    @classmethod
    def given(
        cls, size: int | None, largest: int | None, *, first: int, most: int, least: int
    ) -> PageSizes:
        """The sizes a connector's options ask for: by default pages start at ``first`` and
        adapt between ``least`` and ``most``; a ``size`` given without ``largest`` keeps
        every page that size; with ``largest``, pages adapt up to it."""
        start = max(1, size or first)
        top = max(start, largest or (most if size is None else start))
        return cls(start, min(start, least) if top > start else start, top)

    def answered(self, seconds: float) -> None:
        if seconds <= self.fast:
            self.size = min(self.largest, self.size * 2)
        elif seconds >= self.slow:
            self.size = max(self.smallest, self.size // 2)

    def failed(self) -> bool:
        """Halve after a failure, and grow no larger again; False when the size is
        already the smallest (give up)."""
        if self.size <= self.smallest:
            return False
        self.size = self.largest = max(self.smallest, self.size // 2)
        return True


__all__ = ["FAST_PAGE", "SLOW_PAGE", "PageSizes", "integer_cursor", "prefetch"]


#: Tracked objects made (net) before the collector's youngest generation is collected,
#: during a pull (Python's default is 700).
PULL_GC_THRESHOLD = 50_000


@contextmanager
def fewer_collections(first: int = PULL_GC_THRESHOLD) -> Iterator[None]:
    """Python's cyclic garbage collector run less often for the block, then as before.

    A page of a thousand records is decoded and converted into tens of
    thousands of dicts, lists and models, none of them in a reference cycle;
    with the default threshold the collector walks them, and every older
    object, many times over while they are alive (about a seventh of a pull's
    CPU). With a higher first threshold most of them are freed by reference
    counting before a collection sees them, and at most ``first`` tracked
    objects wait for one. A collector turned off, or set higher, is left alone;
    the old threshold comes back unless someone changed it meanwhile.
    """
    before = gc.get_threshold()
    if not gc.isenabled() or before[0] == 0 or before[0] >= first:
        yield
        return
    gc.set_threshold(first, *before[1:])
    try:
        yield
    finally:
        if gc.get_threshold()[0] == first:
            gc.set_threshold(*before)
