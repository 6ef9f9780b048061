"""Secrets, read from the environment only and refused when they look like placeholders."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, SecretStr

from digest.config.base import ConfigError


class Secrets(BaseModel):
    """Secrets, from the environment only; typed so repr, str, logs and dumps show ``**********``.

    ``reveal(secrets.X)`` gives the value to the one place that uses it.
    """

    model_config = ConfigDict(frozen=True)
    secret_key: SecretStr | None = None  # DIGEST_SECRET_KEY: signs unsubscribe/preference tokens
    sendgrid_api_key: SecretStr | None = None  # SENDGRID_API_KEY
    smtp_password: SecretStr | None = None  # SMTP_PASSWORD
    sendgrid_webhook_public_key: SecretStr | None = None  # SENDGRID_WEBHOOK_PUBLIC_KEY
    vapid_private_key: SecretStr | None = None  # DIGEST_VAPID_PRIVATE_KEY: signs Web Push requests
    metrics_token: SecretStr | None = None  # DIGEST_METRICS_TOKEN: bearer token for /metrics


def reveal(secret: SecretStr | None) -> str | None:
    """The plain value of a secret (None when unset), for the code that must use it."""
    return secret.get_secret_value() if secret is not None else None


def load_secrets() -> Secrets:
    """Secrets from the environment; placeholder values are refused with ConfigError."""
    env = os.environ
    values = {
        "secret_key": env.get("DIGEST_SECRET_KEY"),
        "sendgrid_api_key": env.get("SENDGRID_API_KEY"),
        "smtp_password": env.get("SMTP_PASSWORD"),
        "sendgrid_webhook_public_key": env.get("SENDGRID_WEBHOOK_PUBLIC_KEY"),
        "vapid_private_key": env.get("DIGEST_VAPID_PRIVATE_KEY"),
        "metrics_token": env.get("DIGEST_METRICS_TOKEN"),
    }
    names = {
        "secret_key": "DIGEST_SECRET_KEY",
        "sendgrid_api_key": "SENDGRID_API_KEY",
        "smtp_password": "SMTP_PASSWORD",
        "sendgrid_webhook_public_key": "SENDGRID_WEBHOOK_PUBLIC_KEY",
        "vapid_private_key": "DIGEST_VAPID_PRIVATE_KEY",
        "metrics_token": "DIGEST_METRICS_TOKEN",
    }
    from digest.secret_strength import weak_secret

    secret = values["secret_key"]
    if secret is not None and len(secret) < 32:
        raise ConfigError("DIGEST_SECRET_KEY must be at least 32 characters long")
    for key, value in values.items():
        problem = value is not None and weak_secret(names[key], value, random=key == "secret_key")
        if problem:
            raise ConfigError(problem)
    if values["vapid_private_key"] is not None:
        from digest.push.vapid import VapidKeyError, load_vapid

        try:
            load_vapid(values["vapid_private_key"])
        except VapidKeyError as exc:
            raise ConfigError(f"DIGEST_VAPID_PRIVATE_KEY: {exc}") from None
    return Secrets.model_validate(values)
