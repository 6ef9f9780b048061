"""Composition root: ``build(config)`` wires the engine, clock, links and transports.

The CLI, the scheduler, the web app and the tests all call ``build``; nothing is created at
import time, and nothing below this module reads the environment or the clock by itself.
"""

from __future__ import annotations

import hashlib
import os
import secrets as pysecrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine, select

from digest.clock import Clock, system_clock
from digest.config import Config, Secrets, load_secrets, reveal
from digest.store.db import make_engine, upsert_insert
from digest.store.schema import SettingRow
from digest.tokens import LinkBuilder, TokenSigner

if TYPE_CHECKING:
    from digest.alerts import Channel
    from digest.send.transports.base import Transport

SECRET_SETTING = "token_secret_key"
VAPID_SETTING = "vapid_private_key"


@dataclass
class App:
    """The wired application: everything a use case needs, built once per process."""

    config: Config
    secrets: Secrets
    engine: Engine
    clock: Clock = system_clock
    _transport_override: Transport | None = field(default=None, repr=False)

    @cached_property
    def signing_key(self) -> str:
        """The link-signing key: env DIGEST_SECRET_KEY, else the one kept in the database."""
        return reveal(self.secrets.secret_key) or self._stored_secret_key()

    @cached_property
    def installation_tag(self) -> str:
        """A short, stable tag of this installation (a salted hash of its signing key).

        It keeps Message-IDs of two installations or databases apart and reveals nothing
        about the key.
        """
        return hashlib.sha256(b"digest-message-id\0" + self.signing_key.encode()).hexdigest()[:12]

    @property
    def transport_injected(self) -> bool:
        """True when a test or caller handed in its own transport object."""
        return self._transport_override is not None

    @cached_property
    def links(self) -> LinkBuilder:
        """Public URL builder with the signing key."""
        max_age = self.config.web.token_max_age_days * 86400
        return LinkBuilder(self.config.publication.base_url, TokenSigner(self.signing_key, max_age))

    @cached_property
    def vapid_private_key(self) -> str:
        """The Web Push (VAPID) key: env DIGEST_VAPID_PRIVATE_KEY, else the one kept in the
        database (made by ``digest init``, or now)."""
        from digest.push.vapid import new_private_key

        return reveal(self.secrets.vapid_private_key) or self._stored_setting(
            VAPID_SETTING, new_private_key
        )

    def transport(self) -> Transport:
        """The configured transport (or the one a test injected)."""
        if self._transport_override is not None:
            return self._transport_override
        from digest.send.transports.factory import make_transport

        return make_transport(self.config, self.secrets)

    def create_signing_key(self) -> bool:
        """Store a new random link-signing key unless one is kept; True when this call made it."""
        with self.engine.begin() as conn:
            result = conn.execute(
                upsert_insert(conn, SettingRow)
                .values(key=SECRET_SETTING, value=pysecrets.token_urlsafe(48))
                .on_conflict_do_nothing(index_elements=["key"])
            )
            return bool(result.rowcount == 1)

    def create_vapid_key(self) -> bool:
        """Store a new Web Push (VAPID) key unless one is kept; True when this call made it."""
        from digest.push.vapid import new_private_key

        with self.engine.begin() as conn:
            result = conn.execute(
                upsert_insert(conn, SettingRow)
                .values(key=VAPID_SETTING, value=new_private_key())
                .on_conflict_do_nothing(index_elements=["key"])
            )
            return bool(result.rowcount == 1)

    def alert_channels(self) -> list[Channel]:
        """Ops' alert channels (``alerts.apprise_urls``, ${VAR}s from the environment)."""
        from digest.alerts import apprise_channels

        return list(apprise_channels(self.config.alerts.apprise_urls, os.environ))

    def _stored_secret_key(self) -> str:
        """The signing key kept in the database, generated on first use."""
        return self._stored_setting(SECRET_SETTING, lambda: pysecrets.token_urlsafe(48))

    def _stored_setting(self, key: str, make: Callable[[], str]) -> str:
        """A generated value kept in the settings table, made once (racing makers agree)."""
        with self.engine.begin() as conn:
            value = conn.execute(
                select(SettingRow.value).where(SettingRow.key == key)
            ).scalar_one_or_none()
            if value:
                return value
            conn.execute(
                upsert_insert(conn, SettingRow)
                .values(key=key, value=make())
                .on_conflict_do_nothing(index_elements=["key"])
            )
            return conn.execute(select(SettingRow.value).where(SettingRow.key == key)).scalar_one()


def build(
    config: Config,
    secrets: Secrets | None = None,
    *,
    clock: Clock = system_clock,
    transport: Transport | None = None,
) -> App:
    """Wire the application for ``config``; secrets default to the environment's."""
    return App(
        config=config,
        secrets=secrets if secrets is not None else load_secrets(),
        engine=make_engine(config.database.url),
        clock=clock,
        _transport_override=transport,
    )
