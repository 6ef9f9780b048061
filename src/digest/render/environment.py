"""The Jinja2 environment: where templates are found, escaping, strict undefined, gettext.

Templates are searched first in the publisher's ``email.template_dir`` (if configured), then
in the built-in ``templates/email`` folder: the copy inside an installed wheel (Jinja's
PackageLoader), else the top of the source tree in a checkout (``digest.resources``).
"""

from __future__ import annotations

import textwrap
import traceback
from functools import lru_cache
from pathlib import Path

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    select_autoescape,
)

from digest.render.bidi import mark_lines, seal
from digest.render.errors import RenderError
from digest.render.localisation import translations
from digest.resources import ResourceMissing, email_template_loader

HTML_TEMPLATE = "digest.html.j2"
TEXT_TEMPLATE = "digest.txt.j2"


def builtin_loader() -> BaseLoader:
    """The built-in templates' loader; RenderError naming where it looked when they are missing."""
    try:
        return email_template_loader(HTML_TEMPLATE)
    except ResourceMissing as exc:
        raise RenderError(str(exc)) from None


def wrap_text(value: str, width: int = 76, indent: str = "") -> str:
    """Wrap plain text for the text part without ever breaking a URL or a long word."""
    paragraphs = [p for p in str(value).split("\n")]
    out = []
    for para in paragraphs:
        if not para.strip():
            out.append("")
            continue
        out.append(
            textwrap.fill(
                para.strip(),
                width=width,
                initial_indent=indent,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n".join(out)


@lru_cache(maxsize=32)
def environment(template_dir: str | None, locale: str) -> Environment:
    """A Jinja environment for one template folder and locale, built on first use."""
    search: list[BaseLoader] = []
    if template_dir:
        if not Path(template_dir).is_dir():
            raise RenderError(f"email.template_dir {template_dir!r} is not a folder")
        search.append(FileSystemLoader(template_dir))
    search.append(builtin_loader())
    env = Environment(
        loader=ChoiceLoader(search),
        autoescape=select_autoescape(
            enabled_extensions=("html", "html.j2", "htm"), default_for_string=True, default=False
        ),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.filters["wrap"] = wrap_text
    env.filters["mark_lines"] = mark_lines
    env.filters["seal"] = seal
    return env


def _template_frame(exc: BaseException) -> str | None:
    """'name.j2, line N' of the innermost template frame in the exception's traceback."""
    where = None
    for frame in traceback.extract_tb(exc.__traceback__):
        name = frame.filename
        if name.endswith((".j2", ".html", ".txt", ".css")) or "/templates/" in name:
            where = f"{Path(name).name}, line {frame.lineno}"
    return where


def render_template(env: Environment, name: str, context: dict[str, object]) -> str:
    """Render ``name``; any template problem becomes RenderError naming the template and line."""
    try:
        return env.get_template(name).render(context)
    except TemplateSyntaxError as exc:
        where = f"{Path(exc.filename or exc.name or name).name}, line {exc.lineno}"
        raise RenderError(f"email template {where}: syntax error: {exc.message}") from None
    except TemplateNotFound as exc:
        raise RenderError(f"email template {name}: cannot find template {exc.name!r}") from None
    except (TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
        where = _template_frame(exc) or name
        raise RenderError(f"email template {where}: {type(exc).__name__}: {exc}") from None
