"""When a trainer that waits (for the broker, the run's first model, ``registered``) says so.

Why this file exists: a trainer whose broker is down or whose aggregator never answers would
otherwise wait in silence forever. Like the Swift ``WaitReporter``, the first report comes after
5 s and then less and less often (10 s, 20 s … at most every 5 min), so a long wait is noticed
without flooding the log. Time is passed in (monotonic seconds), so tests drive it with numbers.
"""

from __future__ import annotations

from typing import Optional


class WaitReporter:
    """Call ``check(now)`` while waiting: it returns the seconds waited when a report is due, else
    None; the first call starts the wait. ``reset()`` ends it (what it waited for arrived)."""

    def __init__(self, first_report: float = 5.0, maximum_interval: float = 300.0) -> None:
        if not 0 < first_report <= maximum_interval:
            raise ValueError("first_report must be > 0 and at most maximum_interval")
        self.first_report = first_report
        self.maximum_interval = maximum_interval
        self.reports = 0
        self.started: Optional[float] = None
        self._due = 0.0
        self._interval = 0.0

    def check(self, now: float) -> Optional[float]:
        """Seconds waited if a report is due at `now`, else None."""
        if self.started is None:
            self.started = now
            self._due = now + self.first_report
            self._interval = min(self.maximum_interval, 2 * self.first_report)
            return None
        if now < self._due:
            return None
        self.reports += 1
        self._due = now + self._interval
        self._interval = min(self.maximum_interval, 2 * self._interval)
        return now - self.started

    def reset(self) -> None:
        """The wait is over; the next ``check`` starts a new one."""
        self.reports = 0
        self.started = None
