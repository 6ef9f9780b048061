"""Size budgets: 90 KB of HTML after personalisation, a small <style> with no nested at-rules."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from digest.render import RenderError, personalise, render_edition
from digest.render.inline import nested_at_rules, style_text
from digest.render.placeholders import long_sample
from tests.render.conftest import context, demo_config, demo_edition


def test_sixty_candidates_fit_in_90_kb_by_dropping_the_lowest_ranked(config) -> None:
    edition = demo_edition("markets-en", count=60)
    r = render_edition(edition, context(config, "markets-en"))
    worst = personalise(
        r, long_sample(config.publication.base_url), list_id="x.example", unsubscribe_mailto=None
    )
    assert len(worst.html.encode("utf-8")) == r.html_bytes <= 90 * 1024
    assert r.dropped_for_budget, "60 articles do not fit: some must be dropped"
    n = len(r.dropped_for_budget)
    assert r.dropped_for_budget == tuple(i.article.title for i in edition.items[-n:])
    assert f"{n} more stories did not fit in this email." in " ".join(r.html.split())
    assert "did not fit in this email" in r.text
    assert edition.items[-n - 1].article.url in r.html  # the next-ranked one is kept
    assert (
        edition.items[-1].article.url not in r.html and edition.items[-1].article.url not in r.text
    )


def test_smaller_budget_drops_more_but_never_the_lead_or_pinned(tmp_path: Path) -> None:
    cfg = demo_config(tmp_path, html_budget_kb=30)
    edition = demo_edition("markets-en", count=20)
    pinned = replace(edition.items[-1], pinned=True)
    edition = replace(edition, items=(*edition.items[:-1], pinned))
    r = render_edition(edition, context(cfg, "markets-en"))
    assert r.html_bytes <= 30 * 1024
    assert edition.items[0].article.title not in r.dropped_for_budget
    assert pinned.article.url in r.html
    assert len(r.dropped_for_budget) >= 5


def test_budget_impossible_even_with_only_the_lead_is_a_clear_error(tmp_path: Path) -> None:
    cfg = demo_config(tmp_path, html_budget_kb=11)
    with pytest.raises(RenderError, match=r"only the lead story.*html_budget_kb"):
        render_edition(demo_edition("markets-en", count=5), context(cfg, "markets-en"))


def test_style_block_is_small_and_flat(rendered) -> None:
    for r in rendered.values():
        css = style_text(r.html)
        assert 0 < len(css.encode()) <= 16 * 1024
        assert "@media" in css and "prefers-color-scheme" in css
        assert nested_at_rules(css) == []
        assert "!important" in css  # media queries can still override the inlined styles


def test_nested_at_rules_detected() -> None:
    assert nested_at_rules("@media screen{.a{color:red}}") == []
    assert nested_at_rules("@supports (display:grid){@media screen{.a{color:red}}}") == ["@media"]
    assert nested_at_rules(".a{content:'@x'}") == []


def test_custom_template_with_nested_at_rule_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    builtin = (Path(__file__).resolve().parents[2] / "templates/email/styles.css.j2").read_text()
    (folder / "styles.css.j2").write_text(
        builtin + "@supports (display:block){@media screen{.pad{padding:0 !important}}}\n"
    )
    cfg = demo_config(tmp_path, template_dir=str(folder))
    with pytest.raises(RenderError, match="nested at-rules"):
        render_edition(demo_edition("markets-en"), context(cfg, "markets-en"))


def test_oversized_style_block_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    builtin = (Path(__file__).resolve().parents[2] / "templates/email/styles.css.j2").read_text()
    extra = "".join(
        f"@media (max-width:{300 + i}px){{.pad{{padding:{i}px !important}}}}" for i in range(400)
    )
    (folder / "styles.css.j2").write_text(builtin + extra + "\n")
    cfg = demo_config(tmp_path, template_dir=str(folder))
    with pytest.raises(RenderError, match="style_budget_kb"):
        render_edition(demo_edition("markets-en"), context(cfg, "markets-en"))
