"""Errors whose message a page may show in the reader's language.

Their message is a template marked with ``digest.i18n.N_`` (so it is extracted into the
catalog) plus the values filled into it: the CLI prints it in English, the desk translates
the template (``DeskText``) and fills the values.
"""

from __future__ import annotations

from typing import Any


class Translatable:
    """An error whose message is a marked template plus the values filled into it."""

    template: str
    params: dict[str, Any]

    def _set_message(self, template: str, params: dict[str, Any]) -> str:
        self.template = template
        self.params = params
        return template % params if params else template
