"""Text slides as clawcast-api.md draws them: centred headline and body in the slide's
colours, optionally over a GIF under a dark overlay, or the meme layout (big text top
and bottom over the GIF)."""

from __future__ import annotations

import textwrap

from PIL import Image

from studio.kiosk.images.big_text import draw_centred, largest_fitting, measure
from studio.kiosk.images.halfblock import Canvas, fit
from studio.kiosk.scenes.slides.picture import PictureSlide, rgb
from studio.validation.clawcast import TextContent

OVERLAY = 0.62
BODY_WIDTH = 96


class TextSlideView(PictureSlide):
    def __init__(self, content: TextContent, **kwargs) -> None:  # noqa: ANN003
        super().__init__(content.gif_url, **kwargs)
        self.content = content

    def background(self) -> tuple[int, int, int]:
        return rgb(self.content.bg_color, self.theme_rgb("background"))

    def paint(self, canvas: Canvas) -> None:
        pixels = Image.new("RGB", (canvas.cols, canvas.rows * 2), self.background())
        picture = self.picture
        if picture is not None:
            pixels.paste(fit(picture.image, canvas.cols, canvas.rows, cover=True), (0, 0))
            if self.content.theme != "meme":
                pixels = Image.blend(pixels, Image.new("RGB", pixels.size, (0, 0, 0)), OVERLAY)
        if self.content.theme == "meme":
            self._meme(pixels)
            canvas.paste(pixels, 0, 0)
            return
        big = self._big_headline(pixels, canvas)
        canvas.paste(pixels, 0, 0)
        self._centred(canvas, big)

    def _big_headline(self, pixels: Image.Image, canvas: Canvas) -> int:
        """Draws a short headline in big letters; returns the rows it takes (0 if it did not fit)."""
        headline = self.air.text(self.content.headline).strip().upper()
        if not headline or "\n" in headline:
            return 0
        size = largest_fitting(headline, canvas.cols - 8)
        if size is None:
            return 0
        rows = (measure(headline, size)[1] + 1) // 2 + 1
        top = max(0, (canvas.rows - rows - self._lines_below(canvas)) // 2)
        colour = rgb(self.content.text_color, self.theme_rgb("foreground", (255, 255, 255)))
        draw_centred(pixels, headline, centre_y=(top * 2) + rows, size=size, colour=colour)
        self.alt_text = {top + rows // 2: headline}
        return rows

    def _lines_below(self, canvas: Canvas) -> int:
        width = min(BODY_WIDTH, canvas.cols - 4)
        body = sum(
            len(textwrap.wrap(p, width) or [""])
            for p in self.air.text(self.content.body).splitlines()
        )
        meta = len(textwrap.wrap(self.air.text(self.content.meta), width))
        return 3 + body + (meta + 1 if meta else 0)

    def _centred(self, canvas: Canvas, big_rows: int) -> None:
        text = rgb(self.content.text_color, self.theme_rgb("foreground", (255, 255, 255)))
        accent = rgb(self.content.accent_color, self.theme_rgb("accent", (255, 200, 0)))
        width = min(BODY_WIDTH, canvas.cols - 4)
        headline = (
            [] if big_rows else (textwrap.wrap(self.air.text(self.content.headline), width) or [])
        )
        body: list[str] = []
        for paragraph in self.air.text(self.content.body).splitlines():
            body.extend(textwrap.wrap(paragraph, width) or [""])
        meta = textwrap.wrap(self.air.text(self.content.meta), width)
        longest = max((len(line) for line in headline), default=0)
        if big_rows:
            longest = measure(self.air.text(self.content.headline).strip().upper(), 22)[0] // 2
        rule = "━" * min(max(longest + 4, 12), width)
        block: list[tuple[str, tuple[int, int, int], bool]] = []
        block += [("", text, False)] * big_rows
        block += [(line.upper(), text, True) for line in headline]
        if headline or big_rows:
            block += [("", text, False), (rule, accent, True), ("", text, False)]
        block += [(line, text, False) for line in body]
        if meta:
            block += [("", text, False)] + [(line, accent, False) for line in meta]
        top = max(0, (canvas.rows - len(block)) // 2)
        for offset, (line, colour, bold) in enumerate(block):
            canvas.write(top + offset, line, colour, bold=bold)

    def _meme(self, pixels: Image.Image) -> None:
        """Image-macro layout: white letters with a black outline, top and bottom."""
        self.alt_text = {}
        for text, at_top in ((self.content.headline, True), (self.content.body, False)):
            budget = pixels.height // 2 + 2
            lines = _meme_lines(self.air.text(text).upper(), pixels.width - 8, budget)
            if not lines:
                continue
            gap = 4 if sum(size + 4 for _, size in lines) <= budget else 1  # a short slide
            first = 4 if at_top else pixels.height - 4 - sum(size + gap for _, size in lines)
            for line, size in lines:
                height = size + gap
                self.alt_text[(first + height // 2) // 2] = line
                draw_centred(
                    pixels,
                    line,
                    centre_y=first + height // 2,
                    size=size,
                    colour=(255, 255, 255),
                    stroke=1,
                )
                first += height


MEME_SIZE = 18


def _meme_lines(text: str, max_width: int, max_height: int = 10**6) -> list[tuple[str, int]]:
    """Up to three lines, at the largest size that fits ``max_width`` pixels across and,
    all lines together, ``max_height`` pixels down (half the slide: top or bottom)."""
    text = " ".join(text.split())
    if not text:
        return []
    for sizes in ((MEME_SIZE, 14), (12,), (10,)):
        for width in (len(text), 40, 28, 20, 14):
            lines = textwrap.wrap(text, width)[:3]
            sized = [(line, largest_fitting(line, max_width, sizes, stroke=1)) for line in lines]
            fitting = [(line, size) for line, size in sized if size]
            if len(fitting) == len(lines) and sum(size + 4 for _, size in fitting) <= max_height:
                return fitting
    return [(line, 10) for line in textwrap.wrap(text, max(6, max_width // 7))[:2]]
