"""CSS inlining with premailer (no network), and the checks on the <style> that survives it."""

from __future__ import annotations

import logging
import re

from premailer import Premailer

from digest.render.errors import RenderError

_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style>", re.S | re.I)
_CONDITIONAL = re.compile(r"<!--\[if[^\]]*\]>.*?<!\[endif\]-->", re.S | re.I)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_ITEM_MARKER = re.compile(r"<!--/?digest-item:\d+-->\n?")


def inline_css(html: str, *, template: str) -> str:
    """Copy the stylesheet's rules into style attributes; @media rules stay in <style>."""
    try:
        return str(
            Premailer(
                html,
                allow_network=False,
                allow_loading_external_files=False,
                strip_important=False,
                keep_style_tags=False,
                remove_classes=False,
                disable_validation=True,
                cssutils_logging_level=logging.CRITICAL,
            ).transform()
        )
    except Exception as exc:  # premailer/cssutils raise many types for broken CSS or HTML
        raise RenderError(f"email template {template}: CSS inlining failed: {exc}") from None


def minify_style_blocks(html: str) -> str:
    """Collapse whitespace inside <style> blocks (premailer pretty-prints what it keeps)."""

    def squeeze(match: re.Match[str]) -> str:
        css = _CSS_COMMENT.sub("", match.group(1))
        css = re.sub(r"\s+", " ", css)
        css = re.sub(r"\s*([{};:,])\s*", r"\1", css).replace(";}", "}")
        return match.group(0).replace(match.group(1), css.strip())

    return _STYLE_BLOCK.sub(squeeze, html)


def style_text(html: str) -> str:
    """All CSS in <style> blocks outside Outlook-only conditional comments."""
    visible = _CONDITIONAL.sub("", html)
    return "\n".join(m.group(1) for m in _STYLE_BLOCK.finditer(visible))


def nested_at_rules(css: str) -> list[str]:
    """At-rules that sit inside another block (Gmail drops the whole <style> for these)."""
    css = _CSS_COMMENT.sub("", css)
    depth, found, quote = 0, [], ""
    for i, ch in enumerate(css):
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        elif ch == "@" and depth >= 1:
            found.append(re.split(r"[\s{(]", css[i:], maxsplit=1)[0])
    return found


def check_style(html: str, *, budget_bytes: int, template: str) -> None:
    """RenderError when the <style> CSS exceeds the budget or nests at-rules."""
    css = style_text(html)
    size = len(css.encode("utf-8"))
    if size > budget_bytes:
        raise RenderError(
            f"email template {template}: <style> is {size / 1024:.1f} KB, over the "
            f"email.style_budget_kb limit of {budget_bytes / 1024:.1f} KB"
        )
    check_nesting(html, template=template)


def check_nesting(html: str, *, template: str) -> None:
    """RenderError when a <style> block nests at-rules (checked before and after inlining)."""
    nested = nested_at_rules(style_text(html))
    if nested:
        raise RenderError(
            f"email template {template}: nested at-rules in <style> ({', '.join(nested)}); "
            "Gmail ignores the whole block — keep @media at the top level"
        )


def strip_item_markers(html: str) -> str:
    """Remove the comments that delimit each article (used only to measure them)."""
    return _ITEM_MARKER.sub("", html)


def item_sizes(html: str) -> dict[int, int]:
    """Bytes taken by each article's block, by position, from the item markers."""
    sizes: dict[int, int] = {}
    for m in re.finditer(r"<!--digest-item:(\d+)-->(.*?)<!--/digest-item:\1-->", html, re.S):
        sizes[int(m.group(1))] = len(m.group(0).encode("utf-8"))
    return sizes
