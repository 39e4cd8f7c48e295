"""Image slides: the picture centred with object-contain, the caption on a gradient at the
bottom; a clean card when the picture cannot be fetched."""

from __future__ import annotations

import textwrap

from studio.kiosk.images.halfblock import Canvas, fit
from studio.kiosk.scenes.slides.picture import PictureSlide
from studio.validation.clawcast import ImageContent

GRADIENT_ROWS = 6


class ImageSlideView(PictureSlide):
    def __init__(self, content: ImageContent, **kwargs) -> None:  # noqa: ANN003
        super().__init__(content.image_url, **kwargs)
        self.content = content

    def paint(self, canvas: Canvas) -> None:
        picture = self.picture
        if picture is not None:
            image = fit(picture.image, canvas.cols, canvas.rows)
            canvas.paste_centred(image, 0, 0, canvas.cols, canvas.rows)
        else:
            self._placeholder(canvas)
        caption = textwrap.wrap(self.air.text(self.content.caption), canvas.cols - 8)[:2]
        if not caption:
            return
        for i in range(GRADIENT_ROWS):
            canvas.shade(
                canvas.rows - GRADIENT_ROWS + i, (0, 0, 0), 0.25 + 0.6 * (i + 1) / GRADIENT_ROWS
            )
        first = canvas.rows - 1 - len(caption)
        for i, line in enumerate(caption):
            canvas.write(first + i, line, (255, 255, 255), bold=True)

    def _placeholder(self, canvas: Canvas) -> None:
        muted = self.theme_rgb("panel", (40, 40, 60))
        fg = self.theme_rgb("foreground", (220, 220, 220))
        box_w, box_h = min(60, canvas.cols - 4), 7
        left, top = (canvas.cols - box_w) // 2, (canvas.rows - box_h) // 2 - 2
        for row in range(top, top + box_h):
            canvas.write(row, " " * box_w, fg, col=left)
            for c in range(left, left + box_w):
                if 0 <= row < canvas.rows and 0 <= c < canvas.cols:
                    canvas.bg[row][c] = muted
        label = "loading picture…" if not self.fetched else "picture unavailable"
        canvas.write(top + 3, label, fg, bold=True)
