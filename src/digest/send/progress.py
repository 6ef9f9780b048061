"""A rich progress bar for long sends, silent when not wanted (no TTY, tests, scheduler)."""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class SendProgress:
    """Counts settled recipients across worker threads and draws them when enabled."""

    def __init__(self, *, enabled: bool, total: int, label: str) -> None:
        self._lock = threading.Lock()
        self.done = 0
        self._progress: Progress | None = None
        self._task = None
        if enabled and total > 0:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._task = self._progress.add_task(label, total=total)

    def __enter__(self) -> SendProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, n: int) -> None:
        """Count ``n`` more recipients as settled."""
        with self._lock:
            self.done += n
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, n)
