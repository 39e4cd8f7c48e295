"""The full-frame card the opening scene and the filler share: a title in big letters
where it fits, a few lines under it, and the stream's QR code beside them when
there is room."""

from __future__ import annotations

import textwrap
from typing import Any

from PIL import Image

from studio.kiosk.air import AirFilter
from studio.kiosk.images.big_text import draw_centred, largest_fitting, measure
from studio.kiosk.images.halfblock import Canvas
from studio.kiosk.images.qr import qr_picture
from studio.kiosk.scenes.slides.picture import PictureSlide, rgb

QR_GAP = 4
"""Cells between the text block and the QR code."""
MIN_TEXT_COLS = 40
"""The QR code is drawn only if it leaves the text at least this wide."""


class CardCanvas(PictureSlide):
    """A big title, lines under it (the first in bold), and the QR code of ``link``."""

    def __init__(
        self,
        title: str,
        lines: list[str],
        *,
        air: AirFilter,
        fetcher: Any,
        link: str | None = None,
        caption: str = "scan to watch",
    ) -> None:
        super().__init__(None, fetcher=fetcher, air=air, frozen=True)
        self.title, self.lines, self.link, self.caption = title, lines, link, caption
        self.qr_at: tuple[int, int] | None = None
        """Where the QR code was last drawn: its top-left cell (tests read it back)."""

    def paint(self, canvas: Canvas) -> None:
        background = self.background()
        title = self.air.text(self.title)
        self.alt_text = {}  # the words drawn in pixels, by row (the picture as text)
        qr = qr_picture(self.link) if self.link else None
        qr_cols = qr.width if qr is not None else 0
        qr_rows = (qr_cols + 1) // 2
        beside = canvas.cols - qr_cols - QR_GAP - 4
        room = qr is not None and beside >= MIN_TEXT_COLS and canvas.rows >= qr_rows + 2
        text_cols = beside if room else canvas.cols - 4
        left = 2
        if room:
            left = max(2, (canvas.cols - text_cols - qr_cols - QR_GAP) // 2)
        self.qr_at = None
        # A title too long for big letters beside the code goes above it, across the card.
        across = largest_fitting(title, canvas.cols - 6)
        if room and across and not largest_fitting(title, text_cols - 2):
            title_rows = _title_rows(title, across)
            lines = self._lines(text_cols)
            below = max(qr_rows + 2, len(lines) + 2)
            if title_rows + 1 + below <= canvas.rows:
                top = max(0, (canvas.rows - title_rows - 1 - below) // 2)
                self._big_title(canvas, title, across, 0, canvas.cols, top, background)
                under = top + title_rows + 1
                self._lines_at(canvas, lines, under + (qr_rows - len(lines)) // 2, left, text_cols)
                self._qr(canvas, qr, left + text_cols + QR_GAP, under)  # type: ignore[arg-type]
                return
        self._text_block(canvas, title, left, text_cols, background)
        if qr is not None and room:
            row = max(0, (canvas.rows - qr_rows - 2) // 2)
            self._qr(canvas, qr, left + text_cols + QR_GAP, row)

    def _qr(self, canvas: Canvas, qr: Image.Image, col: int, row: int) -> None:
        canvas.paste(qr, col, row)
        caption = self.caption[: qr.width]
        fg = self.theme_rgb("secondary", (200, 200, 200))
        rows = (qr.height + 1) // 2
        canvas.write(row + rows + 1, caption, fg, col=col + (qr.width - len(caption)) // 2)
        self.qr_at = (col, row)

    def _lines(self, width: int) -> list[tuple[str, bool]]:
        lines: list[tuple[str, bool]] = []
        for i, line in enumerate(self.lines):
            for part in textwrap.wrap(self.air.text(line), width) or [""]:
                lines.append((part, i == 0))
        return lines

    def _lines_at(
        self, canvas: Canvas, lines: list[tuple[str, bool]], top: int, left: int, width: int
    ) -> None:
        fg = self.theme_rgb("foreground", (255, 255, 255))
        for i, (line, bold) in enumerate(lines):
            self._centred(canvas, top + i, left, width, line, fg, bold=bold)

    def _big_title(
        self, canvas: Canvas, title: str, size: int, left: int, width: int, top: int, bg: Any
    ) -> None:
        rows = _title_rows(title, size)
        pixels = Image.new("RGB", (width, rows * 2), bg)
        accent = self.theme_rgb("accent", (255, 200, 0))
        draw_centred(pixels, title, centre_y=rows, size=size, colour=accent)
        canvas.paste(pixels, left, top)
        self.alt_text[top + rows // 2] = title

    def _text_block(
        self, canvas: Canvas, title: str, left: int, width: int, background: Any
    ) -> None:
        accent = self.theme_rgb("accent", (255, 200, 0))
        size = largest_fitting(title, width - 2)
        lines = self._lines(width)
        title_rows = _title_rows(title, size) if size else 1
        height = title_rows + 2 + len(lines)
        top = max(0, (canvas.rows - height) // 2)
        if size:
            self._big_title(canvas, title, size, left, width, top, background)
        else:
            self._centred(canvas, top, left, width, title, accent, bold=True)
        rule = "━" * min(24, width)
        primary = rgb(None, self.theme_rgb("primary"))
        self._centred(canvas, top + title_rows, left, width, rule, primary, bold=True)
        self._lines_at(canvas, lines, top + title_rows + 2, left, width)

    @staticmethod
    def _centred(
        canvas: Canvas, row: int, left: int, width: int, text: str, colour: Any, *, bold: bool
    ) -> None:
        text = text[:width]
        canvas.write(row, text, colour, bold=bold, col=left + (width - len(text)) // 2)


def _title_rows(title: str, size: int) -> int:
    """Cell rows a big title takes: its letters (two pixels a row) and one to spare."""
    return (measure(title, size)[1] + 1) // 2 + 1
