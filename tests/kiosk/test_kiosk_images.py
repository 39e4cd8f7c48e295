"""Slide pictures: fetched once into a bounded cache, failures become None (a placeholder)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from studio.kiosk.images import fetcher as fetcher_module
from studio.kiosk.images.fetcher import HttpImageFetcher
from studio.kiosk.images.halfblock import UPPER_HALF, Canvas, decode, fit
from tests.kiosk.kiosk_helpers import make_pictures


def _server(pictures: dict[str, Path], hits: list[str]) -> httpx.ASGITransport:
    async def picture(request: Request) -> Response:
        name = request.path_params["name"]
        hits.append(name.rsplit("/", 1)[-1])
        if name == "huge.png":
            return Response(b"x" * (fetcher_module.MAX_IMAGE_BYTES + 1), media_type="image/png")
        for url, path in pictures.items():
            if url.endswith("/" + name.rsplit("/", 1)[-1]):
                return Response(path.read_bytes(), media_type="image/png")
        return Response(status_code=404)

    return httpx.ASGITransport(app=Starlette(routes=[Route("/{name:path}", picture)]))


async def test_fetches_once_then_serves_from_the_cache(tmp_path: Path) -> None:
    hits: list[str] = []
    fetcher = HttpImageFetcher(
        tmp_path / "cache", transport=_server(make_pictures(tmp_path / "p"), hits)
    )
    first = await fetcher.fetch("https://i.imgur.com/chart.png")
    second = await fetcher.fetch("https://i.imgur.com/chart.png")
    assert first and first == second and hits == ["chart.png"]
    assert await fetcher.fetch("https://i.imgur.com/gone.png") is None
    assert await fetcher.fetch("https://i.imgur.com/huge.png") is None
    assert len(list((tmp_path / "cache").iterdir())) == 1


async def test_an_unreachable_host_is_none_not_an_error(tmp_path: Path) -> None:
    fetcher = HttpImageFetcher(tmp_path / "cache", timeout=0.5)
    assert await fetcher.fetch("https://127.0.0.1:9/nothing.png") is None


async def test_the_cache_stays_under_its_bound(tmp_path: Path) -> None:
    hits: list[str] = []
    pictures = make_pictures(tmp_path / "p")
    size = max(p.stat().st_size for p in pictures.values())
    fetcher = HttpImageFetcher(
        tmp_path / "cache", cache_bytes=size + 10, transport=_server(pictures, hits)
    )
    for url in pictures:
        assert await fetcher.fetch(url)
    total = sum(p.stat().st_size for p in (tmp_path / "cache").iterdir())
    assert total <= size + 10


def test_half_blocks_keep_square_pixels_and_the_aspect_ratio() -> None:
    wide = Image.new("RGB", (200, 100), (255, 0, 0))
    fitted = fit(wide, 40, 20)  # 40x40 pixels available
    assert fitted.size == (40, 20)
    canvas = Canvas(40, 20, (0, 0, 0))
    canvas.paste_centred(fitted, 0, 0, 40, 20)
    rows_with_picture = [r for r in range(20) if canvas.chars[r][0] == UPPER_HALF]
    assert len(rows_with_picture) == 10 and rows_with_picture[0] == 5
    assert canvas.fg[5][0] == (255, 0, 0)


def test_gif_frames_and_their_durations(tmp_path: Path) -> None:
    gif = make_pictures(tmp_path)["https://media.giphy.com/media/test/giphy.gif"]
    frames = decode(gif.read_bytes())
    assert [f.duration_ms for f in frames] == [200, 200]
    assert decode(b"not a picture") == []


def test_the_core_side_does_not_import_textual() -> None:
    code = "import sys, studio.onair, studio.onair.client; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
