"""render_edition: one edition variant rendered once, inlined once, checked, within budget."""

from __future__ import annotations

import html as htmllib

from digest.models import Edition, EditionItem, RenderedEmail
from digest.render.bidi import mark_unmarked_lines
from digest.render.compliance import check_compliance, require_compliance
from digest.render.context import RenderContext
from digest.render.environment import HTML_TEMPLATE, TEXT_TEMPLATE, environment, render_template
from digest.render.errors import RenderError
from digest.render.inline import (
    check_nesting,
    check_style,
    inline_css,
    item_sizes,
    minify_style_blocks,
    strip_item_markers,
)
from digest.render.placeholders import HTML_TOKENS, TEXT_TOKENS, long_sample
from digest.render.subject import preheader, variant_subject
from digest.render.view import PREHEADER_CHARS, build_view

_SAFETY_BYTES = 768  # room for the "N more stories" line that appears once we drop any


def personalised_size(html: str, base_url: str) -> int:
    """Bytes of ``html`` once the placeholders hold worst-case (long) personal values."""
    sample = long_sample(base_url)
    size = len(html.encode("utf-8"))
    for key, token in HTML_TOKENS.items():
        count = html.count(token)
        if count:
            value = htmllib.escape(getattr(sample, key), quote=True)
            size += count * (len(value.encode("utf-8")) - len(token))
    return size


def _position(item: EditionItem) -> int:
    return item.position


def _drop_order(items: tuple[EditionItem, ...]) -> list[EditionItem]:
    """Which articles go first when the email is too big: lowest-ranked, unpinned first."""
    rest = list(items[1:])  # the lead story always stays
    return sorted(rest, key=lambda i: (i.pinned, -i.position))


def _render_html(
    edition: Edition, items: tuple[EditionItem, ...], ctx: RenderContext, subject: str, dropped: int
) -> tuple[str, dict[str, object]]:
    view = build_view(
        edition,
        items,
        config=ctx.config,
        segment=ctx.segment,
        locale=ctx.locale,
        subject=subject,
        browser_url=ctx.browser_url,
        dropped=dropped,
        preheader=preheader(edition, ctx, PREHEADER_CHARS),
        web=ctx.web,
    )
    env = environment(ctx.config.email.template_dir, ctx.locale)
    raw = render_template(env, HTML_TEMPLATE, view)
    check_nesting(raw, template=HTML_TEMPLATE)  # premailer silently drops some nested rules
    return minify_style_blocks(inline_css(raw, template=HTML_TEMPLATE)), view


def render_edition(edition: Edition, ctx: RenderContext) -> RenderedEmail:
    """Render HTML and text for this variant with personal parts as placeholders (pure).

    Drops the lowest-ranked articles until the personalised HTML fits
    ``email.html_budget_kb``; raises RenderError for template or budget problems and
    ComplianceError when a disclaimer, the unsubscribe link or the postal address is missing.
    """
    if not edition.items:
        raise RenderError(
            f"edition {ctx.segment.name} {edition.edition_date.isoformat()} has no articles"
        )
    subject = variant_subject(edition, ctx)
    base_url = ctx.config.publication.base_url
    budget = int(ctx.config.email.html_budget_kb * 1024)
    items = tuple(sorted(edition.items, key=_position))
    dropped: list[EditionItem] = []
    while True:
        html, view = _render_html(edition, items, ctx, subject, len(dropped))
        size = personalised_size(html, base_url)
        if size <= budget:
            break
        excess = size - budget + (0 if dropped else _SAFETY_BYTES)
        sizes = item_sizes(html)
        order = _drop_order(items)
        if not order:
            raise RenderError(
                f"edition {ctx.segment.name} {edition.edition_date.isoformat()}: the HTML is "
                f"{size / 1024:.1f} KB with only the lead story, over the email.html_budget_kb "
                f"limit of {budget / 1024:.0f} KB"
            )
        freed, drop = 0, []
        for item in order:
            drop.append(item)
            freed += sizes.get(item.position, 1)
            if freed >= excess:
                break
        gone = {id(i) for i in drop}
        items = tuple(i for i in items if id(i) not in gone)
        dropped.extend(drop)
    html = strip_item_markers(html)
    check_style(
        html, budget_bytes=int(ctx.config.email.style_budget_kb * 1024), template=HTML_TEMPLATE
    )
    env = environment(ctx.config.email.template_dir, ctx.locale)
    text = render_template(env, TEXT_TEMPLATE, view).strip() + "\n"
    text = mark_unmarked_lines(text, str(view["dir"]))
    require_compliance(
        check_compliance(
            html,
            text,
            config=ctx.config,
            locale=ctx.locale,
            unsubscribe_html=HTML_TOKENS["unsubscribe_url"],
            unsubscribe_text=TEXT_TOKENS["unsubscribe_url"],
        )
    )
    return RenderedEmail(
        subject=subject,
        html=html,
        text=text,
        locale=ctx.locale,
        html_tokens=dict(HTML_TOKENS),
        text_tokens=dict(TEXT_TOKENS),
        headers={"Content-Language": ctx.locale},
        dropped_for_budget=tuple(i.article.title for i in sorted(dropped, key=_position)),
        html_bytes=personalised_size(html, base_url),
        preheader=str(view.get("preheader", "")),
    )
