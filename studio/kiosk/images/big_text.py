"""Headlines in big letters: text drawn with Pillow at pixel scale, then shown as half-blocks.

One pixel is half a cell (8x8 screen pixels), so a 16-pixel font is 8 rows tall.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
)


@lru_cache(maxsize=8)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_CANDIDATES:
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def measure(text: str, size: int, stroke: int = 0) -> tuple[int, int]:
    left, top, right, bottom = font(size).getbbox(text, stroke_width=stroke)
    return int(right - left), int(bottom - top)


def draw_centred(
    image: Image.Image,
    text: str,
    *,
    centre_y: int,
    size: int,
    colour: tuple[int, int, int],
    stroke: int = 0,
    stroke_colour: tuple[int, int, int] = (0, 0, 0),
) -> None:
    draw = ImageDraw.Draw(image)
    face = font(size)
    left, top, right, bottom = face.getbbox(text, stroke_width=stroke)
    x = (image.width - (right - left)) // 2 - left
    y = centre_y - (bottom - top) // 2 - top
    draw.text((x, y), text, font=face, fill=colour, stroke_width=stroke, stroke_fill=stroke_colour)


def largest_fitting(
    text: str, max_width: int, sizes: tuple[int, ...] = (22, 18, 16, 14, 12, 10), stroke: int = 0
) -> int | None:
    """The biggest size in ``sizes`` at which ``text`` fits ``max_width`` pixels."""
    for size in sizes:
        if measure(text, size, stroke)[0] <= max_width:
            return size
    return None


Cell = tuple[str, tuple[int, int, int], tuple[int, int, int]]


def big_text_cells(
    text: str,
    *,
    colour: tuple[int, int, int],
    background: tuple[int, int, int],
    max_cols: int,
    sizes: tuple[int, ...] = (16, 14),
) -> list[list[Cell]] | None:
    """``text`` in big letters as rows of half-block cells ``(char, fg, bg)``, or None if
    it does not fit in ``max_cols`` cells."""
    from studio.kiosk.images.halfblock import Canvas

    size = largest_fitting(text, max_cols - 2, sizes)
    if size is None:
        return None
    width = measure(text, size)[0] + 2
    height = size + 2 + (size % 2)
    image = Image.new("RGB", (width, height), background)
    draw_centred(image, text, centre_y=height // 2, size=size, colour=colour)
    canvas = Canvas(width, height // 2, background)
    canvas.paste(image, 0, 0)
    return [
        [(canvas.chars[r][c], canvas.fg[r][c], canvas.bg[r][c]) for c in range(canvas.cols)]
        for r in range(canvas.rows)
    ]
