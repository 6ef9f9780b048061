"""A sender process for the crash tests: ``python -m tests.push.send_child CONFIG EDITION_ID``.

It plans and runs the Web Push channel of one edition, as ``digest send`` would.
"""

from __future__ import annotations

import sys
from pathlib import Path

from digest.app import build
from digest.channel_run import KeepGoing
from digest.config import load_config
from digest.push.sender import WebPushSender
from digest.store.editions import edition_by_id


def main() -> None:
    config = load_config(Path(sys.argv[1]))
    app = build(config)
    with app.engine.connect() as conn:
        edition = edition_by_id(conn, int(sys.argv[2]))
    assert edition is not None
    sender = WebPushSender(app)
    with app.engine.begin() as conn:
        sender.prepare(conn, edition, app.clock())
    run = sender.run(edition, KeepGoing())
    print(run.counts)


if __name__ == "__main__":
    main()
