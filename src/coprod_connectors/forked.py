"""Work done in a forked copy of this process, its result sent back pickled.

``coprod report`` over a large store spends most of its time parsing stored JSON, one
core's work; a forked copy of the process counts half of the rows on another core
(see :func:`coprod_connectors.scoring.count`). Only where forking is safe and
worth it (:func:`can_fork`): Linux, more than one core for this process, and no
other thread running. The result is only ever a help: when the copy fails, dies
or takes too long, :meth:`Forked.result` says None and the caller does the work itself.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

_T = TypeVar("_T")


def can_fork() -> bool:
    """Whether a forked copy of this process can do work on another core."""
    if sys.platform != "linux" or threading.active_count() != 1:
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - Linux has it
        return False
    return cores >= 2


class Forked(Generic[_T]):
    """``work()`` run in a forked copy of this process, started at once."""

    def __init__(self, work: Callable[[], _T]) -> None:
        # what this process has buffered must not be written again by the copy as it ends
        sys.stdout.flush()
        sys.stderr.flush()
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_run, args=(work, send), daemon=True)
        self._process.start()
        send.close()

    def result(self, timeout: float) -> _T | None:
        """What ``work()`` returned; None if it failed, the copy died, or it took longer
        than ``timeout`` seconds (the copy is then stopped)."""
        value: Any = None
        try:
            if self._receive.poll(timeout):
                done, value = self._receive.recv()
                if not done:
                    value = None
        except Exception:  # noqa: BLE001 - a copy that died or sent nothing readable
            value = None
        finally:
            self._receive.close()
            self._process.join(1.0)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(5.0)
        return value  # type: ignore[no-any-return]


def _run(work: Callable[[], Any], send: Connection) -> None:
    """In the copy: send (True, result), or (False, None) when the work fails."""
    # Ctrl-C is the parent's to handle (it stops the copy as it ends): never a traceback here
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        outcome: tuple[bool, Any] = (True, work())
    except BaseException:  # noqa: BLE001 - the caller does the work itself
        outcome = (False, None)
    try:
        send.send(outcome)
    except Exception:  # noqa: BLE001 - a result that does not pickle: the caller does the work
        send.send((False, None))
    finally:
        send.close()


__all__ = ["Forked", "can_fork"]
