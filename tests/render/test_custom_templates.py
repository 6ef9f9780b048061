"""A publisher's own template folder overrides ours; its mistakes are named clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.render import RenderError, render_edition
from tests.render.conftest import context, demo_config, demo_edition


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "publisher-templates"
    for name, body in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(body, encoding="utf-8")
    return folder


def test_override_one_partial_keeps_the_rest(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        {
            "partials/intro.html.j2": '<p class="p text">Good morning from the newsroom, '
            "{{ html.name }}.</p>\n"
        },
    )
    cfg = demo_config(tmp_path, template_dir=str(folder))
    r = render_edition(demo_edition("markets-en"), context(cfg, "markets-en"))
    assert "Good morning from the newsroom, %%digest-html:name%%." in r.html
    assert "Editor's note" in r.html  # everything else still comes from the built-in templates


def test_syntax_error_names_template_and_line(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path, {"partials/cta.html.j2": "<p>\n{% if cta %}\n<b>{{ cta.heading }</b>\n"}
    )
    cfg = demo_config(tmp_path, template_dir=str(folder))
    with pytest.raises(RenderError, match=r"cta\.html\.j2, line 3: syntax error"):
        render_edition(demo_edition("markets-en"), context(cfg, "markets-en"))


def test_undefined_variable_names_template_and_line(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"partials/intro.html.j2": "<p>\n{{ subscriber.first_name }}</p>\n"})
    cfg = demo_config(tmp_path, template_dir=str(folder))
    with pytest.raises(RenderError, match=r"intro\.html\.j2, line 2: UndefinedError: 'subscriber'"):
        render_edition(demo_edition("markets-en"), context(cfg, "markets-en"))


def test_missing_template_dir_is_named(tmp_path: Path) -> None:
    cfg = demo_config(tmp_path, template_dir=str(tmp_path / "nope"))
    with pytest.raises(RenderError, match="email.template_dir .*nope.* is not a folder"):
        render_edition(demo_edition("markets-en"), context(cfg, "markets-en"))


def test_empty_edition_is_refused(config) -> None:
    from dataclasses import replace

    with pytest.raises(RenderError, match="markets-en 2026-01-30 has no articles"):
        render_edition(replace(demo_edition("markets-en"), items=()), context(config, "markets-en"))
