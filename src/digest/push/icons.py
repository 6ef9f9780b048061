"""The notification's icon and badge, drawn here so no external asset is needed.

The icon is a square in the brand colour with three white lines (the headlines of a
digest); the badge, which Android shows as a white silhouette, is the same lines on
transparent. Both are PNGs made with zlib alone.
"""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache

ICON_SIZE = 192
BADGE_SIZE = 96


def _png(width: int, height: int, rows: list[bytes]) -> bytes:
    """An 8-bit RGBA PNG of ``rows`` (each ``width`` × 4 bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _lines(size: int, x: int, y: int) -> bool:
    """True where one of the three headline bars is (the last one shorter)."""
    margin, bar = size * 0.2, size * 0.1
    for i, length in enumerate((0.6, 0.6, 0.38)):
        top = size * 0.27 + i * size * 0.18
        if top <= y < top + bar and margin <= x < margin + size * length:
            return True
    return False


def _rgb(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


@lru_cache(maxsize=8)
def icon_png(brand_color: str) -> bytes:
    """The notification icon: brand colour, three white lines."""
    r, g, b = _rgb(brand_color)
    background, white = bytes((r, g, b, 255)), b"\xff\xff\xff\xff"
    rows = [
        b"".join(white if _lines(ICON_SIZE, x, y) else background for x in range(ICON_SIZE))
        for y in range(ICON_SIZE)
    ]
    return _png(ICON_SIZE, ICON_SIZE, rows)


@lru_cache(maxsize=1)
def badge_png() -> bytes:
    """The monochrome badge: white lines on transparent."""
    white, clear = b"\xff\xff\xff\xff", b"\x00\x00\x00\x00"
    rows = [
        b"".join(white if _lines(BADGE_SIZE, x, y) else clear for x in range(BADGE_SIZE))
        for y in range(BADGE_SIZE)
    ]
    return _png(BADGE_SIZE, BADGE_SIZE, rows)
