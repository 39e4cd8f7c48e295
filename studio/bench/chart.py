"""Bar charts as PNG, drawn with Pillow: one bar per item, value written at its end."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SEED = (150, 150, 150)
STUDIO = (40, 120, 220)
TARGET = (200, 40, 40)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/jetbrains-mono/JetBrainsMono-Regular.ttf",
    ):
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def bars(
    path: Path,
    title: str,
    items: Sequence[tuple[str, float, tuple[int, int, int]]],
    unit: str,
    target: float | None = None,
) -> Path:
    """Horizontal bars, ``items`` as (label, value, colour); a red line at ``target``."""
    width, left, right, row_height, top = 900, 260, 120, 34, 50
    height = top + row_height * len(items) + 30
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font, small = _font(16), _font(14)
    draw.text((12, 12), title, fill="black", font=font)
    values = [v for _, v, _ in items] + ([target] if target is not None else [])
    scale = (width - left - right) / (max(values) or 1.0)
    for i, (label, value, colour) in enumerate(items):
        y = top + i * row_height
        draw.text((12, y + 6), label, fill="black", font=small)
        draw.rectangle((left, y + 4, left + value * scale, y + row_height - 6), fill=colour)
        draw.text(
            (left + value * scale + 6, y + 6), f"{value:.3g} {unit}", fill="black", font=small
        )
    if target is not None:
        x = left + target * scale
        draw.line((x, top - 4, x, height - 24), fill=TARGET, width=2)
        draw.text((x + 4, height - 22), f"target {target:g} {unit}", fill=TARGET, font=small)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)
    return path
