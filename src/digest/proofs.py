"""Test sends ("proofs"): an edition as it stands, to the editor and a few colleagues.

A proof goes through the configured transport with "[TEST]" before its subject and personal
links made inert. It is never written to the delivery ledger, never goes to a suppressed
address, is limited to ``desk.test_sends_per_hour`` per member of staff, and is audited.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from digest.app import App
from digest.audit import AuditAction, record_action
from digest.editorial import EditorialError, edition_view
from digest.i18n import N_
from digest.models import PersonalValues, Recipient, RenderedEmail
from digest.staff import StaffError, normalise_staff_email
from digest.store.audit import count_actions, first_action_since
from digest.store.subscriptions import suppression_for

MAX_LISTED = 10
TEST_PREFIX = "[TEST] "
INERT_PATH = "/desk/test-link"


@dataclass(frozen=True, slots=True)
class ProofReport:
    """Who received the proof, with which subject and language, through what."""

    recipients: tuple[str, ...]
    subject: str
    locale: str
    transport: str


def parse_addresses(raw: Sequence[str]) -> list[str]:
    """The listed addresses (comma- or line-separated), normalised and de-duplicated."""
    out: list[str] = []
    for chunk in raw:
        for part in chunk.replace(";", ",").replace("\n", ",").split(","):
            if not part.strip():
                continue
            try:
                address = normalise_staff_email(part)
            except StaffError:
                raise EditorialError(
                    N_("not an email address: %(address)s; nothing was sent"), address=part.strip()
                ) from None
            if address not in out:
                out.append(address)
    if len(out) > MAX_LISTED:
        raise EditorialError(
            N_(
                "a test goes to at most %(max)s listed addresses (%(count)s given); "
                "nothing was sent"
            ),
            max=MAX_LISTED,
            count=len(out),
        )
    return out


def _check_allowed(app: App, recipients: Sequence[str], actor: str) -> None:
    now = app.clock()
    since = now - timedelta(hours=1)
    limit = app.config.desk.test_sends_per_hour
    with app.engine.connect() as conn:
        for address in recipients:
            suppressed = suppression_for(conn, address)
            if suppressed is not None:
                raise EditorialError(
                    N_(
                        "%(address)s is on the suppression list (%(reason)s): test sends never "
                        "go to it; nothing was sent"
                    ),
                    address=address,
                    reason=suppressed.reason,
                )
        done = count_actions(conn, actor=actor, action=AuditAction.TEST_SEND.value, since=since)
        if done >= limit:
            first = first_action_since(
                conn, actor=actor, action=AuditAction.TEST_SEND.value, since=since
            )
            wait = math.ceil(((first or now) + timedelta(hours=1) - now).total_seconds() / 60)
            raise EditorialError(
                N_("at most %(max)s test sends an hour; try again in %(minutes)s min"),
                max=limit,
                minutes=max(1, wait),
            )


def _deliver(
    app: App, segment_name: str, rendered: RenderedEmail, recipients: Sequence[str], key: str
) -> None:
    from digest.send.headers import list_id_header
    from digest.send.transports.base import (
        BatchRecipient,
        OutgoingMessage,
        Sender,
        TransportError,
    )

    pub = app.config.publication
    inert = f"{pub.base_url}{INERT_PATH}"
    message = OutgoingMessage(
        rendered=rendered,
        sender=Sender(pub.from_email, pub.from_name, pub.reply_to),
        categories=("test-send",),
        custom_args={"kind": "test-send"},
        list_id=list_id_header(app.config, app.config.segment(segment_name)),
    )
    batch = [
        BatchRecipient(
            Recipient(i + 1, address, "", rendered.locale, "UTC"),
            PersonalValues(name="", email=address, unsubscribe_url=inert, preferences_url=inert),
        )
        for i, address in enumerate(recipients)
    ]
    transport = app.transport()
    try:
        outcome = transport.send_batch(message, batch, batch_key=key)
    except TransportError as exc:
        raise EditorialError(
            N_("the test could not be sent: %(reason)s"), reason=exc.reason
        ) from None
    finally:
        if not app.transport_injected:
            transport.close()
    refused = {batch[i - 1].recipient.email: why for i, why in outcome.failed.items()}
    if refused:
        listed = "; ".join(f"{a}: {why}" for a, why in refused.items())
        raise EditorialError(N_("the transport refused the test for %(who)s"), who=listed)


def send_proof(
    app: App,
    segment_name: str,
    edition_date: date,
    addresses: Sequence[str],
    *,
    actor: str,
    own_address: str | None = None,
    locale: str | None = None,
    client: str | None = None,
) -> ProofReport:
    """Send the edition as it stands now to ``own_address`` and the listed addresses."""
    from digest.editions import render_variant
    from digest.render import ComplianceError, RenderError

    segment = app.config.segment(segment_name)
    recipients = parse_addresses(addresses)
    if own_address and own_address not in recipients:
        recipients.insert(0, own_address)
    if not recipients:
        raise EditorialError(N_("name at least one address to send the test to"))
    _check_allowed(app, recipients, actor)
    view = edition_view(app, segment.name, edition_date)
    if not view.edition.items:
        raise EditorialError(N_("the edition has no articles yet; there is nothing to test"))
    chosen = locale or segment.locale
    if chosen not in segment.send_locales:
        raise EditorialError(
            N_("%(segment)s is not sent in %(locale)s; its languages: %(locales)s"),
            segment=segment.name,
            locale=chosen,
            locales=", ".join(segment.send_locales),
        )
    try:
        rendered = render_variant(app, view.edition, chosen)
    except (RenderError, ComplianceError) as exc:
        raise EditorialError(
            N_("the email does not render (%(problem)s); nothing was sent"), problem=str(exc)
        ) from None
    rendered = replace(rendered, subject=TEST_PREFIX + rendered.subject)
    now = app.clock()
    # unique per proof: a transport treats a batch key it has seen as already delivered
    key = f"test-{view.edition.id or 0}-{now.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(6)}"
    _deliver(app, segment.name, rendered, recipients, key)
    with app.engine.begin() as conn:
        record_action(
            conn,
            actor=actor,
            action=AuditAction.TEST_SEND,
            now=now,
            edition=view.edition if view.edition.id else None,
            after={
                "to": recipients,
                "subject": rendered.subject,
                "locale": chosen,
                "content": view.content_hash,
            },
            client=client,
        )
    return ProofReport(
        recipients=tuple(recipients),
        subject=rendered.subject,
        locale=chosen,
        transport=app.config.transport.kind,
    )
