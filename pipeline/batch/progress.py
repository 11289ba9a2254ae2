"""Batch progress: a tqdm bar on a terminal, plain log lines when output goes to a file or CI log."""
from __future__ import annotations

import logging
import sys
import time
from datetime import timedelta
from typing import Optional

log = logging.getLogger("pipeline.batch")


class Progress:
    """Counts files, pages and failures; shows rate and ETA."""

    def __init__(self, total_files: int, tty: Optional[bool] = None):
        self.total = total_files
        self.files = self.pages = self.failures = 0
        self.start = time.perf_counter()
        self.bar = None
        if tty is None:
            tty = sys.stderr.isatty()
        if tty and total_files:
            from tqdm import tqdm
            self.bar = tqdm(total=total_files, unit="file", dynamic_ncols=True, file=sys.stderr)

    def update(self, outcome) -> None:
        """One file finished (any status)."""
        self.files += 1
        self.pages += outcome.n_pages
        failed = outcome.status != "done"
        self.failures += failed
        if self.bar is not None:
            self.bar.set_postfix(pages=self.pages, failures=self.failures,
                                 pages_s=f"{self.pages / self._elapsed():.2f}", refresh=False)
            self.bar.update(1)
            if failed:
                self.bar.write(f"{outcome.status}: {outcome.path}: {outcome.error}", file=sys.stderr)
            return
        detail = f"{outcome.status}" + (f" ({outcome.error})" if failed else "")
        log.info("[%d/%d] %s: %s, %d pages, %.1f s | pages %d, failures %d, ETA %s",
                 self.files, self.total, outcome.path, detail, outcome.n_pages, outcome.seconds,
                 self.pages, self.failures, self.eta())

    def eta(self) -> str:
        if not self.files:
            return "?"
        remaining = (self.total - self.files) * self._elapsed() / self.files
        return str(timedelta(seconds=round(remaining)))

    def _elapsed(self) -> float:
        return max(time.perf_counter() - self.start, 1e-6)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
