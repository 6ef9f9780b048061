"""What /proc says of every process now: its name, its parent and its CPU seconds (Linux)."""

from __future__ import annotations

import os
from typing import NamedTuple

TICK = os.sysconf("SC_CLK_TCK")


class Process(NamedTuple):
    name: str
    parent: int
    cpu: float  # user + system seconds so far


def processes() -> dict[int, Process]:
    """Every process readable in /proc (one that ends while it is read is left out)."""
    found: dict[int, Process] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                raw = fh.read()
        except OSError:
            continue
        name = raw[raw.find("(") + 1 : raw.rfind(")")]
        fields = raw[raw.rfind(")") + 2 :].split()
        found[int(entry)] = Process(
            name, int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK
        )
    return found
