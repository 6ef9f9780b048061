"""Outbox transport: one .eml file per recipient, written atomically (temp file + rename).

The file name comes from the edition, the batch and the subscriber, so a resumed or
retried batch can never leave a second file for the same recipient: a file that is already
there is the proof of an earlier delivery and is kept as it is.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digest.render import RenderError
from digest.send.backoff import Backoff
from digest.send.transports.base import (
    BatchOutcome,
    BatchRecipient,
    OutgoingMessage,
    TransportError,
)
from digest.send.transports.copies import recipient_copy


def outbox_file(root: Path, batch_key: str, subscriber_id: int) -> Path:
    """Where the copy for ``subscriber_id`` in batch ``edition-seq`` is written."""
    edition = batch_key.split("-", 1)[0]
    return root / f"edition-{edition}" / f"{batch_key}-{subscriber_id}.eml"


class OutboxTransport:
    """Writes each recipient's complete MIME message to ``path`` (a pickup directory)."""

    name = "outbox"
    accepted_code = "written"  # how a taken request shows in digest_provider_answers

    def __init__(
        self,
        path: str | Path,
        *,
        batch_size: int = 500,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.root = Path(path)
        self.endpoint = f"the outbox {self.root}"
        self._clock = clock
        self.max_batch_size = batch_size
        self.max_retries = 2
        self.backoff = Backoff(base_seconds=0.2, cap_seconds=2.0)
        self.lease_seconds = 300.0
        self.schedule_ahead = timedelta(0)

    def send_batch(
        self, message: OutgoingMessage, recipients: Sequence[BatchRecipient], batch_key: str
    ) -> BatchOutcome:
        """Write one file per recipient; a disk error stops the send (fatal)."""
        accepted: list[int] = []
        failed: dict[int, str] = {}
        directory: Path | None = None
        for item in recipients:
            sid = item.recipient.subscriber_id
            final = outbox_file(self.root, batch_key, sid)
            try:
                if directory is None:
                    directory = final.parent
                    directory.mkdir(parents=True, exist_ok=True)
                if final.exists():
                    accepted.append(sid)
                    continue
                try:
                    data = recipient_copy(message, item, batch_key, self._clock())
                except RenderError as exc:
                    failed[sid] = f"cannot build the message: {exc}"
                    continue
                _write_atomically(final, data)
            except OSError as exc:
                raise TransportError(
                    f"cannot write to the outbox {self.root}: {exc.strerror or exc}",
                    retryable=False,
                    fatal=True,
                    partial=BatchOutcome(accepted=tuple(accepted), failed=dict(failed)),
                ) from None
            accepted.append(sid)
        if directory is not None:
            _fsync_dir(directory)
        return BatchOutcome(accepted=tuple(accepted), failed=failed)

    def settle(self, batch_key: str, subscriber_ids: Sequence[int]) -> set[int]:
        """Who in an interrupted batch was delivered: each file on disk is the proof.

        Files are written whole (temporary file, then rename), so a recipient without a
        file was never written and can be sent again without a second copy.
        """
        return {sid for sid in subscriber_ids if outbox_file(self.root, batch_key, sid).exists()}

    def close(self) -> None:
        """Nothing to release."""


def _write_atomically(final: Path, data: bytes) -> None:
    """Write ``final`` whole or not at all: a failed write (a full disk) leaves no temp file."""
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
