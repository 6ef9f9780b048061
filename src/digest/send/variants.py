"""Each locale's rendering of an edition, made once per send and gated before use."""

from __future__ import annotations

import threading
from collections.abc import Callable

from digest.config import Config
from digest.models import RenderedEmail


def gate_variant(rendered: RenderedEmail, config: Config) -> None:
    """Re-run the compliance gate on a variant right before it is sent."""
    from digest.render import check_rendered, require_compliance

    require_compliance(check_rendered(rendered, config))


class Variants:
    """Each locale's rendering, made once (thread-safe) and checked by the compliance gate."""

    def __init__(self, config: Config, render: Callable[[str], RenderedEmail]) -> None:
        self._config = config
        self._render = render
        self._lock = threading.Lock()
        self._done: dict[str, RenderedEmail] = {}

    def get(self, locale: str) -> RenderedEmail:
        """The gated rendering for ``locale`` (rendered on first use)."""
        with self._lock:
            if locale not in self._done:
                rendered = self._render(locale)
                gate_variant(rendered, self._config)
                self._done[locale] = rendered
            return self._done[locale]
