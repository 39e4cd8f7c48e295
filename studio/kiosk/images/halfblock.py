"""Pictures in a terminal: two vertical pixels per cell, drawn as '▀' (fg top, bg bottom).

An 8x16-pixel cell holds two 8x8 pixels, so image pixels stay square on air. A
``Canvas`` is a grid of cells that images are pasted into and text is written over,
then turned into Textual ``Strip``s.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageSequence, UnidentifiedImageError
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

RGB = tuple[int, int, int]
UPPER_HALF = "▀"
MAX_FRAMES = 48
MIN_FRAME_MS = 40
MAX_FRAME_PIXELS = 2048 * 2048
"""A larger picture is refused before it is decoded (its header gives the size)."""
MAX_DECODED_PIXELS = 32 * 1024 * 1024
"""Pixels times frames decoded, at most: a small GIF of many large flat frames stops here."""
KEEP = (320, 180)
"""Frames are kept no larger than needed: the picture on air is at most 160x90 pixels
(twice that leaves room for ``fit``), so each is shrunk as soon as it is decoded."""


@dataclass(frozen=True)
class Frame:
    image: Image.Image
    duration_ms: int


def decode(
    data: bytes,
    *,
    max_frames: int = MAX_FRAMES,
    max_frame_pixels: int = MAX_FRAME_PIXELS,
    max_pixels: int = MAX_DECODED_PIXELS,
) -> list[Frame]:
    """The frames of an image (one for stills), as small RGB images; empty if it is not
    an image or too large. Memory stays bounded whatever the file: the frame size is
    checked before decoding, at most ``max_pixels`` pixels are decoded over all frames,
    and only shrunken copies are kept."""
    try:
        source = Image.open(io.BytesIO(data))
        width, height = source.size
        if width * height > max_frame_pixels:
            return []
        limit = max(1, min(max_frames, max_pixels // max(width * height, 1)))
        source.draft("RGB", KEEP)  # JPEG decodes at a reduced scale
        frames: list[Frame] = []
        for frame in ImageSequence.Iterator(source):
            duration = int(frame.info.get("duration") or source.info.get("duration") or 100)
            frames.append(Frame(_shrunk(frame.convert("RGB")), max(duration, MIN_FRAME_MS)))
            if len(frames) >= limit:
                break
        return frames
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return []


def _shrunk(image: Image.Image) -> Image.Image:
    """Scaled down (never up) so that it still covers ``KEEP`` in both directions."""
    scale = max(KEEP[0] / image.width, KEEP[1] / image.height)
    if scale >= 1:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def fit(image: Image.Image, cols: int, rows: int, *, cover: bool = False) -> Image.Image:
    """Scale ``image`` to at most ``cols`` x ``2*rows`` pixels keeping its aspect ratio
    (``object-contain``), or to fill that box and crop the middle (``cover``)."""
    box_w, box_h = max(cols, 1), max(rows * 2, 1)
    scale_w, scale_h = box_w / image.width, box_h / image.height
    scale = max(scale_w, scale_h) if cover else min(scale_w, scale_h)
    width = max(1, min(box_w if not cover else 10**6, round(image.width * scale)))
    height = max(1, min(box_h if not cover else 10**6, round(image.height * scale)))
    scaled = image.resize((width, height), Image.Resampling.LANCZOS)
    if cover:
        left, top = (width - box_w) // 2, (height - box_h) // 2
        scaled = scaled.crop((left, top, left + box_w, top + box_h))
    return scaled


def _mix(a: RGB, b: RGB, amount: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * amount),
        round(a[1] + (b[1] - a[1]) * amount),
        round(a[2] + (b[2] - a[2]) * amount),
    )


class Canvas:
    def __init__(self, cols: int, rows: int, background: RGB) -> None:
        self.cols, self.rows = cols, rows
        self.chars = [[" "] * cols for _ in range(rows)]
        self.fg: list[list[RGB]] = [[background] * cols for _ in range(rows)]
        self.bg: list[list[RGB]] = [[background] * cols for _ in range(rows)]
        self.bold = [[False] * cols for _ in range(rows)]

    def paste(self, image: Image.Image, col: int, row: int) -> None:
        """Paste a fitted image (``fit``) with its top-left corner at a cell."""
        pixels = image.load()
        assert pixels is not None
        for y in range(0, image.height, 2):
            r = row + y // 2
            if not 0 <= r < self.rows:
                continue
            for x in range(image.width):
                c = col + x
                if not 0 <= c < self.cols:
                    continue
                top = pixels[x, y]
                bottom = pixels[x, y + 1] if y + 1 < image.height else self.bg[r][c]
                self.chars[r][c] = UPPER_HALF
                self.fg[r][c] = top  # type: ignore[assignment]
                self.bg[r][c] = bottom  # type: ignore[assignment]

    def paste_centred(self, image: Image.Image, col: int, row: int, cols: int, rows: int) -> None:
        self.paste(
            image, col + (cols - image.width) // 2, row + (rows - (image.height + 1) // 2) // 2
        )

    def shade(self, row: int, towards: RGB, amount: float) -> None:
        """Blend one row of cells towards a colour (a dark overlay is ``(0,0,0)``)."""
        if not 0 <= row < self.rows:
            return
        for c in range(self.cols):
            self.fg[row][c] = _mix(self.fg[row][c], towards, amount)
            self.bg[row][c] = _mix(self.bg[row][c], towards, amount)

    def write(
        self, row: int, text: str, colour: RGB, *, bold: bool = False, col: int | None = None
    ) -> None:
        """Write ``text`` over the picture; ``col=None`` centres it. Each cell keeps the
        blend of its two pixels as the background, so text sits on the image."""
        if not 0 <= row < self.rows:
            return
        text = text[: self.cols]
        start = (self.cols - len(text)) // 2 if col is None else col
        for i, char in enumerate(text):
            c = start + i
            if not 0 <= c < self.cols:
                continue
            if self.chars[row][c] == UPPER_HALF:
                self.bg[row][c] = _mix(self.fg[row][c], self.bg[row][c], 0.5)
            self.chars[row][c] = char
            self.fg[row][c] = colour
            self.bold[row][c] = bold

    def strips(self) -> list[Strip]:
        styles: dict[tuple[RGB, RGB, bool], Style] = {}
        out: list[Strip] = []
        for r in range(self.rows):
            segments: list[Segment] = []
            run_key: tuple[RGB, RGB, bool] | None = None
            run: list[str] = []
            for c in range(self.cols):
                key = (self.fg[r][c], self.bg[r][c], self.bold[r][c])
                if key != run_key and run:
                    segments.append(Segment("".join(run), styles[run_key]))  # type: ignore[index]
                    run = []
                if key not in styles:
                    fg, bg, bold = key
                    styles[key] = Style(color=f"rgb{fg}", bgcolor=f"rgb{bg}", bold=bold)
                run_key = key
                run.append(self.chars[r][c])
            if run:
                segments.append(Segment("".join(run), styles[run_key]))  # type: ignore[index]
            out.append(Strip(segments, self.cols))
        return out
