"""A QR code of the stream's link, as a picture for the half-block canvas.

``segno`` builds the module matrix; each module becomes one square pixel of the
canvas (half a cell), dark modules on a light quiet zone as scanners expect.
"""

from __future__ import annotations

from functools import lru_cache

import segno
from PIL import Image

QUIET_ZONE = 2
"""Modules of light border around the code (phones read 2 reliably on a screen)."""
DARK = (0, 0, 0)
LIGHT = (255, 255, 255)


@lru_cache(maxsize=8)
def qr_modules(link: str) -> tuple[tuple[bool, ...], ...]:
    """The code's modules with the quiet zone, True for dark, row by row."""
    code = segno.make(link, error="m", micro=False)
    return tuple(
        tuple(bool(v) for v in row) for row in code.matrix_iter(scale=1, border=QUIET_ZONE)
    )


def qr_picture(link: str) -> Image.Image:
    """One pixel per module: paste it into a ``Canvas`` to draw it in half-blocks."""
    modules = qr_modules(link)
    size = len(modules)
    image = Image.new("RGB", (size, size), LIGHT)
    pixels = image.load()
    assert pixels is not None
    for y, row in enumerate(modules):
        for x, dark in enumerate(row):
            if dark:
                pixels[x, y] = DARK
    return image
