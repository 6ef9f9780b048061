"""Rich progress for the long commands, drawn on stderr only when it is a terminal.

``digest ingest`` (and ``digest run``) show one step per source; ``digest subscribers
import`` follows the file by bytes and counts rows. Without a terminal, or with ``--json``,
nothing is drawn: the callbacks do nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def wanted(as_json: bool = False) -> bool:
    """True when a progress display helps: stderr is a terminal and the output is for people."""
    return not as_json and sys.stderr.isatty()


def _progress(*columns: Any) -> Progress:
    return Progress(*columns, console=Console(stderr=True), transient=True)


@contextmanager
def source_progress(enabled: bool, total: int) -> Iterator[Callable[[Any], None]]:
    """A callback taking each finished source's result (``.name``, ``.ok``): one step each."""
    if not enabled or total == 0:
        yield lambda _result: None
        return
    progress = _progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("sources"),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
    )
    task = progress.add_task("", total=total)

    def done(result: Any) -> None:
        state = "" if result.ok else " [red]failed[/red]"
        progress.update(task, advance=1, description=f"last: {result.name}{state}")

    with progress:
        yield done


@contextmanager
def row_progress(
    enabled: bool, total_bytes: int, label: str
) -> Iterator[Callable[[int, int], None]]:
    """A callback taking (rows read, bytes read) while a file is imported."""
    if not enabled or total_bytes <= 0:
        yield lambda _rows, _bytes: None
        return
    progress = _progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rows]} rows"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    task = progress.add_task("", total=total_bytes, rows=0)

    def update(rows: int, read: int) -> None:
        progress.update(task, completed=read, rows=f"{rows:,}")

    with progress:
        yield update
