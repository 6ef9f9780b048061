"""A full disk while writing the outbox leaves no partial temporary file behind."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import REPO

SCRIPT = textwrap.dedent(
    """
    import resource, signal, sys
    from datetime import UTC, datetime
    from digest.models import PersonalValues, Recipient, RenderedEmail
    from digest.send.transports.outbox import OutboxTransport
    from digest.send.transports.base import (
        BatchRecipient, OutgoingMessage, Sender, TransportError,
    )

    # the file-size limit stands in for a full disk: writing past it fails with EFBIG
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    rendered = RenderedEmail(
        subject="s", html="<p>" + "x" * 20000 + "</p>", text="y" * 20000, locale="en",
        html_tokens={}, text_tokens={},
    )
    message = OutgoingMessage(rendered=rendered, sender=Sender("d@skn.example", "D", None))
    who = BatchRecipient(
        Recipient(7, "r@example.com", "R", "en", "UTC"),
        PersonalValues("R", "r@example.com", "https://x.example/u/1", "https://x.example/p/1"),
    )
    try:
        OutboxTransport(sys.argv[1]).send_batch(message, [who], batch_key="3-0")
    except TransportError as exc:
        print("refused:", exc.reason)
        sys.exit(0)
    sys.exit("the full disk went unnoticed")
    """
)


def test_a_failed_write_removes_its_temporary_file(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(outbox)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert "cannot write to the outbox" in result.stdout
    assert [p.name for p in outbox.rglob("*") if p.is_file()] == []
