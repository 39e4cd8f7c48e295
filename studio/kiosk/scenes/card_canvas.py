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
        qr = qr_picture(self.link) if self.link else None
        qr_cols = qr.width if qr is not None else 0
        qr_rows = (qr_cols + 1) // 2
        room = qr is not None and (
            canvas.cols - qr_cols - QR_GAP - 4 >= MIN_TEXT_COLS and canvas.rows >= qr_rows + 2
        )
        text_cols = canvas.cols - (qr_cols + QR_GAP if room else 0) - 4
        left = 2
        if room:
            left = max(2, (canvas.cols - text_cols - qr_cols - QR_GAP) // 2)
        self._text_block(canvas, left, text_cols, background)
        self.qr_at = None
        if qr is not None and room:
            col = left + text_cols + QR_GAP
            row = max(0, (canvas.rows - qr_rows - 2) // 2)
            canvas.paste(qr, col, row)
            caption = self.caption[:qr_cols]
            fg = self.theme_rgb("secondary", (200, 200, 200))
            canvas.write(row + qr_rows + 1, caption, fg, col=col + (qr_cols - len(caption)) // 2)
            self.qr_at = (col, row)

    def _text_block(self, canvas: Canvas, left: int, width: int, background: Any) -> None:
        accent = self.theme_rgb("accent", (255, 200, 0))
        fg = self.theme_rgb("foreground", (255, 255, 255))
        title = self.air.text(self.title)
        size = largest_fitting(title, width - 2)
        lines: list[tuple[str, bool]] = []
        for i, line in enumerate(self.lines):
            for part in textwrap.wrap(self.air.text(line), width) or [""]:
                lines.append((part, i == 0))
        title_rows = ((measure(title, size)[1] + 1) // 2 + 1) if size else 1
        height = title_rows + 2 + len(lines)
        top = max(0, (canvas.rows - height) // 2)
        if size:
            pixels = Image.new("RGB", (width, title_rows * 2), background)
            draw_centred(pixels, title, centre_y=title_rows, size=size, colour=accent)
            canvas.paste(pixels, left, top)
        else:
            self._centred(canvas, top, left, width, title, accent, bold=True)
        rule = "━" * min(24, width)
        self._centred(
            canvas,
            top + title_rows,
            left,
            width,
            rule,
            rgb(None, self.theme_rgb("primary")),
            bold=True,
        )
        for i, (line, bold) in enumerate(lines):
            self._centred(canvas, top + title_rows + 2 + i, left, width, line, fg, bold=bold)

    @staticmethod
    def _centred(
        canvas: Canvas, row: int, left: int, width: int, text: str, colour: Any, *, bold: bool
    ) -> None:
        text = text[:width]
        canvas.write(row, text, colour, bold=bold, col=left + (width - len(text)) // 2)
