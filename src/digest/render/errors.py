"""The render package's own errors: broken templates and emails the compliance gate refuses."""

from __future__ import annotations


class RenderError(Exception):
    """The email could not be rendered (template problem, empty edition, budget impossible)."""


class ComplianceError(RenderError):
    """The rendered email lacks something every email must carry; nothing may be sent."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("email refused by the compliance gate: " + "; ".join(self.problems))
