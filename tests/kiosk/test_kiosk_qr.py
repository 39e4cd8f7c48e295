"""The stream's QR code as viewers get it: read back from the cells the kiosk draws."""

from __future__ import annotations

from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from studio.kiosk.images.halfblock import UPPER_HALF
from studio.kiosk.images.qr import qr_modules
from studio.kiosk.scenes.card_canvas import CardCanvas
from studio.sandbox.clock import FakeClock
from tests.kiosk.kiosk_helpers import GRIDS, STOREFRONT, make_app, settle

RGB = tuple[int, int, int]


def drawn_pixels(card: CardCanvas) -> list[list[RGB]]:
    """The card as the terminal shows it: two square pixels a cell, from its strips."""
    width, height = card.size
    rows: list[list[RGB]] = []
    for y in range(height):
        top: list[RGB] = []
        bottom: list[RGB] = []
        for segment in card.render_line(y):
            style = segment.style
            assert style is not None and style.color and style.bgcolor
            fg, bg = style.color.get_truecolor(), style.bgcolor.get_truecolor()
            for char in segment.text:
                half = char == UPPER_HALF
                top.append(tuple(fg) if half else tuple(bg))  # type: ignore[arg-type]
                bottom.append(tuple(bg))  # type: ignore[arg-type]
        rows += [top, bottom]
    return rows


@pytest.mark.parametrize("grid", list(GRIDS))
async def test_the_opening_cards_qr_code_decodes_to_the_link(
    grid: str, tmp_path: Path, clock: FakeClock
) -> None:
    app = make_app(tmp_path, clock, storefront=STOREFRONT)
    async with app.run_test(size=GRIDS[grid]) as pilot:
        card = app.opening.card
        await settle(pilot, lambda: card.size.width > 0)
        pixels = drawn_pixels(card)
        assert card.qr_at is not None, "no room for the QR code"
    col, row = card.qr_at
    expected = qr_modules(STOREFRONT.link)
    size = len(expected)
    # module for module, the drawn code is segno's matrix (dark = black, light = white)
    drawn = [
        tuple(pixels[row * 2 + y][col + x] == (0, 0, 0) for x in range(size)) for y in range(size)
    ]
    assert drawn == list(expected)
    assert all(
        pixels[row * 2 + y][col + x] in ((0, 0, 0), (255, 255, 255))
        for y in range(size)
        for x in range(size)
    )
    # and a decoder reads the link from the picture (each pixel scaled to 8x8)
    image = Image.new("RGB", (len(pixels[0]), len(pixels)))
    image.putdata([p for line in pixels for p in line])
    image = image.resize((image.width * 8, image.height * 8), Image.Resampling.NEAREST)
    assert [code.text for code in zxingcpp.read_barcodes(image)] == [STOREFRONT.link]
