"""A wall-clock budget for CPU-bound work, cut short by SIGALRM where Python allows it.

Sync gunicorn workers, the CLI and the test client run a request on the main thread, where
an interval timer interrupts pure-Python code (markdown-it, Pygments, the regular-expression
engine) at the next bytecode. Elsewhere (a thread of a threaded server) no signal can reach
the work: it runs to its end and is refused afterwards if it took too long.

An exception raised at an arbitrary bytecode may land in code that is not ours to interrupt:
a weakref callback the garbage collector runs mid-render (SQLAlchemy's), a finalizer, a
callback from native code that swallows it. The alarm therefore raises only in a frame the
caller calls `safe`; elsewhere it notes the budget is spent and rings again a moment later.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType


class OverBudget(BaseException):
    """The budget ran out: a BaseException, so a library's `except Exception` lets it pass."""


RETRY_SECONDS = 0.005
Safe = Callable[[FrameType], bool]


class Budget:
    """A running budget: check() raises OverBudget once it is spent."""

    def __init__(self, seconds: float | None, safe: Safe | None = None) -> None:
        self.seconds = seconds
        self.started = time.monotonic()
        self.spent = False
        self._safe = safe or (lambda _frame: True)
        self._shields = 0

    def check(self) -> None:
        """Raise OverBudget if the time is up."""
        if self.seconds is None:
            return
        if self.spent or time.monotonic() - self.started > self.seconds:
            self.spent = True
            raise OverBudget(self.seconds)

    @contextmanager
    def shielded(self) -> Iterator[None]:
        """Hold the alarm while native code runs that would swallow it, then check.

        nh3 calls our attribute filter from Rust and ignores what it raises: an alarm
        landing there would be lost. Held, it is raised as soon as the native call returns.
        """
        self._shields += 1
        try:
            yield
        finally:
            self._shields -= 1
        self.check()

    def _alarm(self, _signum: int, frame: FrameType | None) -> None:
        self.spent = True
        if self._shields:
            return  # shielded() checks as soon as the native call returns
        if frame is None or not self._safe(frame):
            signal.setitimer(signal.ITIMER_REAL, RETRY_SECONDS)
            return
        raise OverBudget(self.seconds)


def interruptible() -> bool:
    """Tell whether a timer signal can cut work short here (main thread, no timer running)."""
    return (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    )


@contextmanager
def limit(seconds: float | None, safe: Safe | None = None) -> Iterator[Budget]:
    """Run the block within `seconds` (None or 0: no limit); raise OverBudget past it.

    `safe(frame)` tells whether the alarm may raise in that frame (default: anywhere).
    """
    budget = Budget(seconds if seconds and seconds > 0 else None, safe)
    if budget.seconds is None or not interruptible():
        yield budget
        budget.check()
        return
    previous = signal.signal(signal.SIGALRM, budget._alarm)
    signal.setitimer(signal.ITIMER_REAL, budget.seconds)
    try:
        yield budget
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    budget.check()
