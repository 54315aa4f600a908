"""Progress lines for long jobs: items done of total, rate, time left; and one summary line."""

from __future__ import annotations

import logging
import time

log = logging.getLogger("thinksafe")


class Progress:
    def __init__(self, label: str, total: int, already: int = 0, every_s: float = 10.0):
        self.label, self.total, self.done, self.start_done = label, total, already, already
        self.t0 = self.last = time.monotonic()
        self.every_s = every_s
        log.info("%s: %d of %d to do (%d already done)", label, total - already, total, already)

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= self.every_s or self.done == self.total:
            self.last = now
            rate = (self.done - self.start_done) / max(now - self.t0, 1e-9)
            left = (self.total - self.done) / rate if rate > 0 else float("inf")
            log.info("%s: %d/%d done, %.2f/s, %.0f s left", self.label, self.done, self.total, rate, left)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.t0


def summary(label: str, **counts: object) -> None:
    """The last line of every long job's log: counts, errors, tokens, seconds."""
    log.info("SUMMARY %s %s", label, " ".join(f"{k}={v}" for k, v in counts.items()))
