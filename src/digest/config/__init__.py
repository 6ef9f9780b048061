"""Typed configuration: the one home of every setting, its default and its validation.

``load_config(path)`` reads YAML, applies environment overrides and validates; any problem
raises ``ConfigError`` whose message names the key path (``segments[1].timezone: ...``).
Secrets are never read from the file: they come from the environment only.

The modules by concern: ``base`` (the error, the strict base model, locales and per-locale
texts), ``sections`` (publication, database, sources, topics, ranking, ingest, scheduler, web,
desk), ``segments``, ``email_settings`` (disclaimers, call to action, email), ``transport``,
``push``, ``alerts``, ``root`` (``Config`` and its cross-section checks), ``loading`` (YAML,
environment overrides, error messages, relative paths) and ``secrets``. Import from
``digest.config``: every public name is here.
"""

from __future__ import annotations

from digest.config.alerts import ALERT_KINDS, Alerts
from digest.config.base import SUPPORTED_LOCALES, ConfigError, LocalisedText, text_in
from digest.config.email_settings import CallToAction, Disclaimer, EmailSettings
from digest.config.loading import load_config, parse_config, resolve_config_path
from digest.config.push import Push
from digest.config.root import Config
from digest.config.secrets import Secrets, load_secrets, reveal
from digest.config.sections import (
    Database,
    Desk,
    Ingest,
    Publication,
    Ranking,
    Scheduler,
    Source,
    Topic,
    Web,
)
from digest.config.segments import Segment
from digest.config.transport import OutboxSettings, SendGridSettings, SmtpSettings, Transport

__all__ = [
    "ALERT_KINDS",
    "SUPPORTED_LOCALES",
    "Alerts",
    "CallToAction",
    "Config",
    "ConfigError",
    "Database",
    "Desk",
    "Disclaimer",
    "EmailSettings",
    "Ingest",
    "LocalisedText",
    "OutboxSettings",
    "Publication",
    "Push",
    "Ranking",
    "Scheduler",
    "Secrets",
    "Segment",
    "SendGridSettings",
    "SmtpSettings",
    "Source",
    "Topic",
    "Transport",
    "Web",
    "load_config",
    "load_secrets",
    "parse_config",
    "resolve_config_path",
    "reveal",
    "text_in",
]
