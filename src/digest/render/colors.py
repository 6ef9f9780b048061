"""Colour arithmetic for legible emails: WCAG contrast, readable pairings with the brand."""

from __future__ import annotations

from dataclasses import dataclass

MIN_CONTRAST = 4.5


def parse_hex(value: str) -> tuple[int, int, int]:
    """'#0b3d91' -> (11, 61, 145)."""
    v = value.lstrip("#")
    if len(v) == 3:
        v = "".join(c * 2 for c in v)
    if len(v) != 6:
        raise ValueError(f"not a #rrggbb colour: {value!r}")
    return int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16)


def to_hex(rgb: tuple[int, int, int]) -> str:
    """(11, 61, 145) -> '#0b3d91'."""
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG contrast ratio between two colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(background: str) -> str:
    """White or near-black, whichever reads better on ``background``."""
    bg = parse_hex(background)
    return "#ffffff" if contrast(bg, (255, 255, 255)) >= contrast(bg, (17, 17, 17)) else "#111111"


def readable_on(colour: str, background: str, minimum: float = MIN_CONTRAST) -> str:
    """``colour`` if it reaches ``minimum`` contrast on ``background``, else a shade that does."""
    bg = parse_hex(background)
    fg = parse_hex(colour)
    if contrast(fg, bg) >= minimum:
        return to_hex(fg)
    target = (0, 0, 0) if luminance(bg) > 0.18 else (255, 255, 255)
    for step in range(1, 21):
        t = step / 20
        mixed = tuple(round(f + (g - f) * t) for f, g in zip(fg, target, strict=True))
        if contrast(mixed, bg) >= minimum:  # type: ignore[arg-type]
            return to_hex(mixed)  # type: ignore[arg-type]
    return to_hex(target)


@dataclass(frozen=True, slots=True)
class Palette:
    """Every colour the default template uses; all text pairs reach 4.5:1."""

    page: str
    card: str
    text: str
    muted: str
    rule: str
    brand: str
    on_brand: str
    link: str
    footer_text: str
    note_bg: str


def palette(brand_color: str) -> Palette:
    """The template's palette built around the publisher's brand colour."""
    page, card = "#eef1f5", "#ffffff"
    brand = to_hex(parse_hex(brand_color))
    return Palette(
        page=page,
        card=card,
        text="#1f2933",
        muted=readable_on("#52606d", page),
        rule="#d5dbe3",
        brand=brand,
        on_brand=text_on(brand),
        link=readable_on(brand, page),  # page is the darker of the two light backgrounds
        footer_text=readable_on("#4a5561", page),
        note_bg="#f7f4e8",
    )
