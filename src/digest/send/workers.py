"""Who is sending: worker ids that say which host and process hold a batch, and liveness.

A worker id is ``host:pid:nonce``. A batch held by a process of this host that no longer
exists can be declared abandoned at once; on other hosts only the batch lease tells.
"""

from __future__ import annotations

import os
import secrets
import socket


def new_worker_id(label: str | None = None) -> str:
    """A fresh id for this process's send workers (optionally with a readable label)."""
    base = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    return f"{base}:{label}" if label else base


def is_dead_worker(worker_id: str) -> bool:
    """True only when the worker ran on this host and its process no longer exists."""
    parts = worker_id.split(":")
    if len(parts) < 3 or parts[0] != socket.gethostname():
        return False
    try:
        pid = int(parts[1])
    except ValueError:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it exists, owned by someone else
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A killed child not yet reaped by its parent still has a pid, but it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return False
    after_name = stat.rsplit(")", 1)[-1].split()
    return bool(after_name) and after_name[0] in ("Z", "X")
