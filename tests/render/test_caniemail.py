"""The layout relies on nothing Gmail, Outlook on Windows or Apple Mail lack (caniemail data).

Rule: every CSS property in an inline style and every HTML element/attribute the rendered
email uses is mapped to its caniemail feature; the newest version of each platform of Gmail
(desktop webmail, iOS, Android), Outlook (Windows) and Apple Mail (macOS, iOS) must say
"y" or "a" (partial). Exempt are only features listed in ENHANCEMENTS, each with the fallback
that keeps the email working where the feature is missing, and Outlook-only mso-* properties.
CSS inside <style> (the @media rules) is enhancement by construction: test_browser proves the
layout holds with the <style> block removed.
"""

from __future__ import annotations

import re
from functools import cache

import lxml.html
import pytest
import yaml

from tests.conftest import SHARED

FEATURES = SHARED / "reference" / "caniemail" / "_features"
CLIENTS = {
    "gmail": ("desktop-webmail", "ios", "android"),
    "outlook": ("windows",),
    "apple-mail": ("macos", "ios"),
}
ENHANCEMENTS = {
    "css-border-radius": "Outlook on Windows shows square corners; nothing else changes",
    "css-max-height": "preheader hiding: display:none and mso-hide:all already hide it",
    "css-opacity": "preheader hiding: display:none and mso-hide:all already hide it",
    "css-overflow": "preheader hiding: display:none and mso-hide:all already hide it",
    "css-word-spacing": "word-spacing:normal only resets Outlook.com's inherited spacing",
    "css-at-media": "only in <style>: small-screen padding and dark mode",
    "css-at-media-prefers-color-scheme": "only in <style>: the light design is legible inverted",
    "css-important": "only in <style>, so @media rules beat inline styles",
    "html-meta-color-scheme": "hint for Apple Mail; other clients ignore the meta tag",
    "css-selector-class": "class names only serve the <style> enhancements",
}
# Properties caniemail does not track (supported everywhere since the table-layout era).
NO_DATA = {"color", "font-family"}
ATTRIBUTE_FEATURES = {
    "role": "html-role",
    "dir": "html-dir",
    "lang": "html-lang",
    "align": "html-align",
    "valign": "html-valign",
    "cellpadding": "html-cellpadding",
    "cellspacing": "html-cellspacing",
    "width": "html-width",
    "height": "html-height",
    "aria-label": "html-aria-label",
    "aria-hidden": "html-aria-hidden",
    "class": "css-selector-class",
}
ATTRIBUTES_NOT_TRACKED = {
    "href",
    "src",
    "alt",
    "style",
    "border",
    "bgcolor",
    "charset",
    "name",
    "content",
    "http-equiv",
    "xmlns",
    "xmlns:o",
}
ELEMENT_FEATURES = {
    "table": "html-table",
    "h1": "html-h1-h6",
    "h2": "html-h1-h6",
    "h3": "html-h1-h6",
    "ul": "html-lists",
    "li": "html-lists",
    "img": "html-img",
    "p": "html-p",
    "div": "html-div",
    "span": "html-span",
    "style": "html-style",
}
ELEMENTS_NOT_TRACKED = {"html", "head", "meta", "title", "body", "tr", "td", "a"}


@cache
def support(feature: str) -> dict[str, str]:
    """client/platform -> newest verdict for one caniemail feature."""
    lines = (FEATURES / f"{feature}.md").read_text(encoding="utf-8").replace("\t", "    ")
    parts = lines.split("\n")
    end = parts.index("---", 1)
    stats = yaml.safe_load("\n".join(parts[1:end]))["stats"]
    out = {}
    for client, platforms in CLIENTS.items():
        for platform in platforms:
            versions = stats[client][platform]
            out[f"{client}/{platform}"] = str(list(versions.values())[-1])
    return out


def css_feature(prop: str) -> str | None:
    for name in (f"css-{prop}", f"css-{prop.split('-')[0]}"):
        if (FEATURES / f"{name}.md").exists():
            return name
    return None


def used_features(html: str) -> dict[str, set[str]]:
    """caniemail feature -> where the email uses it (outside Outlook conditional comments)."""
    visible = re.sub(r"<!--\[if[^\]]*\]>.*?<!\[endif\]-->", "", html, flags=re.S)
    root = lxml.html.document_fromstring(visible.encode("utf-8"))
    used: dict[str, set[str]] = {}
    unmapped: set[str] = set()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in ELEMENT_FEATURES:
            used.setdefault(ELEMENT_FEATURES[el.tag], set()).add(f"<{el.tag}>")
        elif el.tag not in ELEMENTS_NOT_TRACKED:
            unmapped.add(f"<{el.tag}>")
        for attr in el.attrib:
            if attr in ATTRIBUTE_FEATURES:
                used.setdefault(ATTRIBUTE_FEATURES[attr], set()).add(f"{attr}=")
            elif attr not in ATTRIBUTES_NOT_TRACKED:
                unmapped.add(f"{attr}=")
        for decl in el.get("style", "").split(";"):
            if ":" not in decl:
                continue
            prop = decl.split(":", 1)[0].strip().lower()
            if prop.startswith("mso-") or prop in NO_DATA:
                continue
            feature = css_feature(prop)
            if feature is None:
                unmapped.add(prop)
            else:
                used.setdefault(feature, set()).add(prop)
    assert not unmapped, f"map these to a caniemail feature or document them: {sorted(unmapped)}"
    if root.find(".//meta[@name='color-scheme']") is not None:
        used.setdefault("html-meta-color-scheme", set()).add("<meta color-scheme>")
    return used


def test_reference_data_is_available() -> None:
    if not FEATURES.is_dir():
        pytest.skip(f"caniemail data not found at {FEATURES}")
    assert support("css-padding")["gmail/desktop-webmail"].startswith("y")


@pytest.mark.parametrize("segment", ["markets-en", "tech-he"])
def test_layout_relies_only_on_supported_features(rendered, segment: str) -> None:
    if not FEATURES.is_dir():
        pytest.skip(f"caniemail data not found at {FEATURES}")
    used = used_features(rendered[segment].html)
    assert {"css-padding", "html-table", "html-role", "html-dir", "css-max-width"} <= set(used)
    failures = []
    for feature, where in sorted(used.items()):
        if feature in ENHANCEMENTS:
            continue
        for client, verdict in support(feature).items():
            if not verdict.startswith(("y", "a")):
                failures.append(
                    f"{feature} ({', '.join(sorted(where))}) is '{verdict}' in {client}"
                )
    assert not failures, "\n".join(failures)


def test_enhancement_only_features_stay_in_style(rendered) -> None:
    html = rendered["markets-en"].html
    inline = " ".join(re.findall(r'style="([^"]*)"', html))
    assert "!important" not in inline and "@media" not in inline
