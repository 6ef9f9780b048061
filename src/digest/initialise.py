"""`digest init`: a working installation from an empty folder, safe to run again.

The steps, in order: the starter configuration (written only where none exists), then the
installation steps in ``INSTALL_STEPS`` against the configured database: the schema
(created or upgraded by the migrations) and the link-signing key (created once, never
replaced). Each step says what it did; a second run changes nothing that is there already.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from digest.app import App
from digest.config import Config
from digest.resources import starter_config_text
from digest.store.db import schema_revision, upgrade


class Outcome(StrEnum):
    """What one step of init did."""

    WRITTEN = "written"  # the starter configuration
    KEPT = "kept"  # something already there, left alone
    CREATED = "created"
    UPGRADED = "upgraded"
    CURRENT = "current"  # the schema was already at the newest migration
    ENVIRONMENT = "environment"  # the secret comes from the environment; nothing stored


@dataclass(frozen=True, slots=True)
class InitStep:
    """One step's outcome and a detail for people (a path, a URL, a revision)."""

    step: str
    outcome: Outcome
    detail: str = ""


class InitError(Exception):
    """init cannot go on (a config file that cannot be written)."""


def write_starter_config(path: Path) -> InitStep:
    """Write the starter configuration at ``path`` unless a file is there (never overwrites)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as fh:
            fh.write(starter_config_text())
    except FileExistsError:
        return InitStep("config", Outcome.KEPT, str(path))
    except OSError as exc:
        raise InitError(f"cannot write the starter configuration {path}: {exc}") from None
    return InitStep("config", Outcome.WRITTEN, str(path))


def migrate_database(app: App) -> InitStep:
    """Create the schema, or bring it to the newest migration (safe to repeat)."""
    before = schema_revision(app.engine)
    upgrade(app.engine)
    after = schema_revision(app.engine) or ""
    if before is None:
        return InitStep("database", Outcome.CREATED, after)
    if before != after:
        return InitStep("database", Outcome.UPGRADED, f"{before} -> {after}")
    return InitStep("database", Outcome.CURRENT, after)


def ensure_signing_key(app: App) -> InitStep:
    """The link-signing key: DIGEST_SECRET_KEY when set, else one stored once in the database."""
    if app.secrets.secret_key:
        return InitStep("signing key", Outcome.ENVIRONMENT, "DIGEST_SECRET_KEY")
    created = app.create_signing_key()
    return InitStep("signing key", Outcome.CREATED if created else Outcome.KEPT, "database")


def ensure_vapid_key(app: App) -> InitStep:
    """The Web Push (VAPID) key: DIGEST_VAPID_PRIVATE_KEY when set, else one stored once.

    The detail is the public key (what browsers subscribe with).
    """
    from digest.push.vapid import load_vapid, public_key_b64

    if app.secrets.vapid_private_key:
        outcome = Outcome.ENVIRONMENT
    else:
        outcome = Outcome.CREATED if app.create_vapid_key() else Outcome.KEPT
    public = public_key_b64(load_vapid(app.vapid_private_key))
    return InitStep("web push key", outcome, public)


# The installation steps after the configuration, in order. Each takes the wired App and
# reports one InitStep; each must be safe to repeat. A new one-time set-up is a new step.
INSTALL_STEPS: tuple[Callable[[App], InitStep], ...] = (
    migrate_database,
    ensure_signing_key,
    ensure_vapid_key,
)


def install(app: App) -> list[InitStep]:
    """Run every installation step against ``app``'s database."""
    return [step(app) for step in INSTALL_STEPS]


def next_commands(config: Config, config_flag: str) -> list[str]:
    """What to run after init, with ``config_flag`` ('' or '--config PATH ') in each."""
    first = config.segments[0].name
    return [
        f"digest {config_flag}run --demo",
        f"digest {config_flag}subscribers add you@example.com --segments {first}",
        f"digest {config_flag}preview {first}",
        f"digest {config_flag}serve",
        f"digest {config_flag}scheduler",
    ]
