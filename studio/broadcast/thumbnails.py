"""Thumbnails that sell the stream: the picture on air with a clean title band.

retake.tv wants a thumbnail right after the stream is live and then every 2-5
minutes (its skill document, step 6 and 8: ``multipart`` field ``image``, JPEG or PNG;
it names no size, so the thumbnail is the 1280x720 frame itself, 16:9 like the
stream). It is a JPEG at quality 90 without chroma subsampling, so glyphs keep their
colour edges: the PNG encode was most of the time a thumbnail took, about 30 times the
JPEG's for the same frame (issue 9, row 11; docs/bench/profiles/row11-thumbnail.txt). The picture is never an empty frame: until the agent writes, the kiosk's
opening card is on air. Over it, Pillow draws a band across the bottom with LIVE,
the agent's name and the stream's title. ``capture`` reads Xvfb's screen where Xvfb
draws it (``studio.broadcast.framebuffer``): no X request, so nothing to wait for but
the copy; it and the encode take milliseconds of CPU, so callers run them in a worker
thread. The go-live sequence's retake.tv leg runs the one thumbnail loop.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import cast

from PIL import Image, ImageChops, ImageDraw, ImageFont

from studio.broadcast import framebuffer
from studio.errors import StudioError
from studio.redaction import redact

FORMAT = "JPEG"
"""retake.tv accepts JPEG or PNG (skill document, 2d)."""
CONTENT_TYPE = "image/jpeg"
SUFFIX = ".jpg"
QUALITY = 90
BAND_COLOUR = (8, 12, 28)
LIVE_RED = (230, 40, 70)
WHITE = (255, 255, 255)
SOFT = (200, 210, 230)


class CaptureFailed(StudioError):
    """The virtual display could not be captured."""


def capture(display: str) -> Image.Image:
    """The whole screen of ``display`` (e.g. ``":3"``, started by this process) as RGB."""
    screen = framebuffer.mapped(display)
    picture = screen.image() if screen is not None else None
    if picture is None:
        raise CaptureFailed(
            f"Could not capture the display {display}: "
            + ("it is not running." if screen is not None else "the studio did not start it."),
            fix="Check that the virtual display is running (`studio doctor`).",
        )
    return picture


def _scaled(image: Image.Image, max_width: int) -> Image.Image:
    if image.width <= max_width:
        return image
    height = round(image.height * max_width / image.width)
    return image.resize((max_width, height), Image.Resampling.LANCZOS)


def encode(image: Image.Image, max_width: int = 1280) -> bytes:
    """``image`` as the thumbnail's JPEG, no wider than ``max_width``."""
    buffer = io.BytesIO()
    _scaled(image, max_width).save(buffer, format=FORMAT, quality=QUALITY, subsampling=0)
    return buffer.getvalue()


def thumbnail_jpeg(display: str, max_width: int = 1280) -> bytes:
    """What ``display`` shows, as a JPEG (no title band)."""
    return encode(capture(display), max_width)


def is_blank(image: Image.Image, tolerance: int = 0) -> bool:
    """True if every pixel is the same colour (within ``tolerance`` per channel)."""
    extrema = cast(tuple[tuple[int, int], ...], image.convert("RGB").getextrema())
    return all(high - low <= tolerance for low, high in extrema)


def is_empty_frame(image: Image.Image, share: float = 0.995) -> bool:
    """True if one colour covers ``share`` of the picture: a terminal that has drawn
    nothing yet (a lone cursor does not count as content)."""
    small = image.convert("RGB").resize((320, 180), Image.Resampling.NEAREST)
    colours = small.getcolors(320 * 180) or []
    return max((count for count, _ in colours), default=0) >= share * 320 * 180


def changed_share(before: Image.Image, after: Image.Image) -> float:
    """The share of pixels that differ between two pictures of the same size."""
    size = (320, 180)
    a = before.convert("RGB").resize(size, Image.Resampling.NEAREST)
    b = after.convert("RGB").resize(size, Image.Resampling.NEAREST)
    diff = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v else 0)
    return (diff.histogram()[255]) / (size[0] * size[1])


@lru_cache(maxsize=8)
def _font(size: int, bold: bool = True) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(name, size)  # Pillow looks in the system's font folders
    except OSError:
        return ImageFont.load_default(size)


def _fit(draw: ImageDraw.ImageDraw, text: str, width: int, size: int, bold: bool) -> tuple:
    """The largest font (down to half ``size``) that fits ``text`` in ``width``; then cut."""
    for candidate in range(size, size // 2 - 1, -2):
        face = _font(candidate, bold)
        if draw.textlength(text, font=face) <= width:
            return text, face
    face = _font(size // 2, bold)
    while text and draw.textlength(text + "…", font=face) > width:
        text = text[:-1]
    return text.rstrip() + "…", face


@dataclass(frozen=True)
class TitleBand:
    """What the band says: the agent, the stream's title, and LIVE."""

    agent: str
    title: str = ""
    live: bool = True

    HEIGHT = 0.22
    """Of the picture's height."""

    def draw(self, picture: Image.Image) -> Image.Image:
        """A copy of ``picture`` with the band across its bottom."""
        return self.draw_over(picture.convert("RGB"))

    def draw_over(self, image: Image.Image) -> Image.Image:
        """The band drawn over ``image`` (RGB) itself, which it returns: no copy of the
        frame (a second 3.5 MB buffer a thumbnail, which the allocator gave back to the
        kernel and faulted in again each time)."""
        width, height = image.size
        band_h = round(height * self.HEIGHT)
        top = height - band_h
        shade = Image.new("RGB", (width, band_h), BAND_COLOUR)
        image.paste(Image.blend(image.crop((0, top, width, height)), shade, 0.88), (0, top))
        draw = ImageDraw.Draw(image)
        unit = band_h / 10
        draw.rectangle((0, top, width, top + max(2, round(unit * 0.3))), fill=LIVE_RED)
        margin = round(unit * 2.2)
        x = margin
        if self.live:
            face = _font(round(unit * 3))
            label = "● LIVE"
            pad = round(unit)
            label_w = round(draw.textlength(label, font=face))
            y0, y1 = top + round(unit * 3), top + round(unit * 7.5)
            draw.rounded_rectangle((x, y0, x + label_w + 2 * pad, y1), radius=pad, fill=LIVE_RED)
            draw.text((x + pad, (y0 + y1) // 2), label, font=face, fill=WHITE, anchor="lm")
            x += label_w + 2 * pad + margin
        room = width - x - margin
        agent, face = _fit(draw, redact(self.agent) or "on air", room, round(unit * 4), True)
        title = redact(self.title)
        if title:
            draw.text((x, top + round(unit * 1.4)), agent, font=face, fill=WHITE)
            title, small = _fit(draw, title, room, round(unit * 2.6), False)
            draw.text((x, top + round(unit * 6.2)), title, font=small, fill=SOFT)
        else:
            draw.text((x, top + band_h // 2), agent, font=face, fill=WHITE, anchor="lm")
        return image


def band_jpeg(picture: Image.Image, band: TitleBand, max_width: int = 1280) -> bytes:
    """The thumbnail: ``picture`` with its title band, as a JPEG. The band is drawn over
    ``picture`` itself (a fresh capture the caller is done with) when it is RGB."""
    image = picture if picture.mode == "RGB" else picture.convert("RGB")
    return encode(band.draw_over(image), max_width)


def keep(data: bytes, folder: Path, number: int) -> Path:
    """Keep an uploaded thumbnail where the operator can look at it (mode 0600)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"thumbnail-{number:03d}{SUFFIX}"
    path.write_bytes(data)
    path.chmod(0o600)
    return path
