"""Messages that a page may show in the reader's language.

``N_("…")`` marks a message for the desk's gettext catalog without translating it; an error
built from a marked template keeps the template and its values, so the CLI prints it in
English and the desk translates it (``DeskText``).
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:  # noqa: N802 - the gettext marker's conventional name
    """Mark ``message`` for translation where it is shown."""
    return message


class Translatable:
    """An error whose message is a marked template plus the values filled into it."""

    template: str
    params: dict[str, Any]

    def _set_message(self, template: str, params: dict[str, Any]) -> str:
        self.template = template
        self.params = params
        return template % params if params else template
