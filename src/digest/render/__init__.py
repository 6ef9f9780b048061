"""Rendering: Jinja2 HTML and text, CSS inlined once per variant, compliance gate, budgets.

Render is a value: ``render_edition`` returns a RenderedEmail whose per-recipient parts are
placeholders; ``personalise`` fills them cheaply per recipient; ``build_mime`` makes the
message an SMTP server or the outbox receives.
"""

from digest.render.compliance import (
    check_compliance,
    check_personalised,
    check_rendered,
    require_compliance,
)
from digest.render.context import RenderContext
from digest.render.edition import render_edition
from digest.render.errors import ComplianceError, RenderError
from digest.render.mime import build_mime
from digest.render.personalise import personalise, substitutions
from digest.render.subject import default_subject
from digest.send.headers import list_id, list_unsubscribe, make_message_id

__all__ = [
    "ComplianceError",
    "RenderContext",
    "RenderError",
    "build_mime",
    "check_compliance",
    "check_personalised",
    "check_rendered",
    "default_subject",
    "list_id",
    "list_unsubscribe",
    "make_message_id",
    "personalise",
    "render_edition",
    "require_compliance",
    "substitutions",
]
