"""The on-air frame drawn in half-block cells (two square pixels per cell)."""

from __future__ import annotations

from PIL import Image
from textual.strip import Strip
from textual.widget import Widget

from studio.console.colours import palette
from studio.kiosk.images.halfblock import Canvas, fit
from studio.kiosk.scenes.slides.picture import rgb


class FrameView(Widget, can_focus=True):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.image: Image.Image | None = None
        self.frames_drawn = 0
        self._strips: list[Strip] = []
        self._message = "No picture yet"

    def show(self, image: Image.Image | None, message: str = "") -> None:
        self.image = image
        self._message = message or self._message
        self._strips = []
        if image is not None:
            self.frames_drawn += 1
        self.refresh()

    def on_resize(self) -> None:
        self._strips = []

    def _draw(self) -> list[Strip]:
        cols, rows = self.size.width, self.size.height
        background = rgb(palette(self.app).get("surface"), (0, 0, 0))
        canvas = Canvas(cols, rows, background)
        if self.image is not None:
            canvas.paste_centred(fit(self.image, cols, rows), 0, 0, cols, rows)
        else:
            muted = rgb(palette(self.app).get("foreground"), (200, 200, 200))
            canvas.write(rows // 2, self._message, muted)
        return canvas.strips()

    def render_line(self, y: int) -> Strip:
        if not self._strips or len(self._strips) != self.size.height:
            self._strips = self._draw()
        return self._strips[y] if y < len(self._strips) else Strip.blank(self.size.width)
