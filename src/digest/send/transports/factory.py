"""Build the configured transport from config and secrets (the composition root calls this)."""

from __future__ import annotations

from digest.config import Config, ConfigError, Secrets, reveal
from digest.send.transports.base import Transport


def make_transport(config: Config, secrets: Secrets) -> Transport:
    """The transport named by ``transport.kind``; ConfigError when its secret is missing."""
    kind = config.transport.kind
    if kind == "outbox":
        from digest.send.transports.outbox import OutboxTransport

        outbox = config.transport.outbox
        return OutboxTransport(outbox.path, batch_size=outbox.batch_size)
    if kind == "sendgrid":
        if not secrets.sendgrid_api_key:
            raise ConfigError(
                "transport.kind is sendgrid but SENDGRID_API_KEY is not set in the environment"
            )
        from digest.send.transports.sendgrid import SendGridTransport

        return SendGridTransport(reveal(secrets.sendgrid_api_key) or "", config.transport.sendgrid)
    if kind == "smtp":
        smtp = config.transport.smtp
        if smtp.username and not secrets.smtp_password:
            raise ConfigError(
                "transport.smtp.username is set but SMTP_PASSWORD is not set in the environment"
            )
        from digest.send.transports.smtp import SmtpTransport

        return SmtpTransport(smtp, password=reveal(secrets.smtp_password))
    raise ConfigError(f"transport.kind: unknown transport {kind!r}")
