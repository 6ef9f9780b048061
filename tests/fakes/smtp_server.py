"""An SMTP server on 127.0.0.1 (aiosmtpd) that records messages and answers RCPT as told."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class RecordingSmtp:
    """An aiosmtpd handler: keeps every message; defers or refuses recipients on demand.

    ``defer`` (a reply such as "421 …") answers every RCPT while it is set; ``refuse`` maps
    an address prefix to the reply its recipients get (a 550, say).
    """

    def __init__(self, refuse: dict[str, str] | None = None) -> None:
        self.defer: str | None = None
        self.deferred = 0
        self.refuse = dict(refuse or {})
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.defer:
            self.deferred += 1
            return self.defer
        for prefix, reply in self.refuse.items():
            if address.startswith(prefix):
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


@contextmanager
def smtp_server(handler: RecordingSmtp) -> Iterator[Any]:
    """Run ``handler`` on a free 127.0.0.1 port; yields the aiosmtpd controller."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()
