"""Slide pictures: fetched once into a bounded cache, failures become None (a placeholder)."""

from __future__ import annotations

import io
import json
import stat
import subprocess
import sys
from pathlib import Path

import httpx
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from studio.https_fetch import MAX_REDIRECTS
from studio.kiosk.images import fetcher as fetcher_module
from studio.kiosk.images.fetcher import HttpImageFetcher
from studio.kiosk.images.halfblock import (
    KEEP,
    MAX_DECODED_PIXELS,
    UPPER_HALF,
    Canvas,
    decode,
    fit,
)
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


def _flat_gif(side: int, frames: int) -> bytes:
    """Many large frames of one colour each: tiny on disk, huge once decoded."""
    images = [Image.new("P", (side, side), i % 200) for i in range(frames)]
    palette = [v for c in range(256) for v in (c * 7 % 256, c * 13 % 256, c * 29 % 256)]
    for image in images:
        image.putpalette(palette)
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=50, loop=0)
    return out.getvalue()


MEASURE_DECODE = """
import json, resource, sys
from pathlib import Path
from studio.kiosk.images.halfblock import decode
data = Path(sys.argv[1]).read_bytes()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
frames = decode(data)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"grew_kib": after - before, "frames": len(frames),
                  "largest": max((f.image.width * f.image.height for f in frames), default=0)}))
"""


def test_a_small_gif_of_large_frames_decodes_within_a_memory_cap(tmp_path: Path) -> None:
    """Before the cap, a 220 KiB GIF like this one (48 frames of 2000x2000) took 468 MiB."""
    gif = tmp_path / "bomb.gif"
    gif.write_bytes(_flat_gif(1600, 40))
    assert gif.stat().st_size < 300 * 1024
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE_DECODE, str(gif)],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    figures = json.loads(measured.stdout)
    assert figures["grew_kib"] < 64 * 1024, figures  # peak resident growth under 64 MiB
    assert figures["frames"] == MAX_DECODED_PIXELS // (1600 * 1600)  # decoded up to the cap
    assert figures["largest"] == KEEP[0] * KEEP[0]  # only shrunken frames are kept


def test_a_picture_too_large_is_refused_before_decoding() -> None:
    out = io.BytesIO()
    Image.new("L", (4000, 4000), 7).save(out, "PNG")
    assert decode(out.getvalue()) == []
    small = io.BytesIO()
    Image.new("RGB", (1200, 600), (10, 20, 30)).save(small, "PNG")
    [frame] = decode(small.getvalue())
    assert frame.image.size == (360, 180) and frame.image.getpixel((5, 5)) == (10, 20, 30)


def _redirecting(pictures: dict[str, Path], hits: list[str]) -> httpx.ASGITransport:
    async def route(request: Request) -> Response:
        hits.append(f"{request.url.scheme}://{request.url.netloc}{request.url.path}")
        name = request.path_params["name"]
        if name.startswith("to/"):  # /to/<scheme>/<host>/<path>: a redirect
            scheme, rest = name[3:].split("/", 1)
            return Response(status_code=302, headers={"location": f"{scheme}://{rest}"})
        if name.startswith("loop/"):
            n = int(name[5:])
            return Response(status_code=301, headers={"location": f"/loop/{n + 1}"})
        if name == "big.png":
            return Response(b"x" * 10, headers={"content-length": str(10**9)})
        chart = next(p for url, p in pictures.items() if url.endswith("chart.png"))
        return Response(chart.read_bytes(), media_type="image/png")

    return httpx.ASGITransport(app=Starlette(routes=[Route("/{name:path}", route)]))


async def test_only_https_is_fetched_on_every_hop_and_size_is_capped(tmp_path: Path) -> None:
    hits: list[str] = []
    fetcher = HttpImageFetcher(
        tmp_path / "cache", transport=_redirecting(make_pictures(tmp_path / "p"), hits)
    )
    assert await fetcher.fetch("http://cdn.example/chart.png") is None
    assert hits == []  # plain http is never requested
    assert await fetcher.fetch("https://cdn.example/to/http/cdn.example/chart.png") is None
    assert hits == ["https://cdn.example/to/http/cdn.example/chart.png"]  # hop refused
    hits.clear()
    assert await fetcher.fetch("https://cdn.example/to/https/img.example/chart.png")
    assert hits[-1] == "https://img.example/chart.png"
    assert await fetcher.fetch("https://cdn.example/to/https/img.example/big.png") is None
    hits.clear()
    assert await fetcher.fetch("https://cdn.example/loop/0") is None
    assert len(hits) == MAX_REDIRECTS + 1
    assert await fetcher.fetch("https://cdn.example/to/https/host:notaport/x.png") is None


async def test_cache_files_are_written_whole_and_private(tmp_path: Path) -> None:
    hits: list[str] = []
    fetcher = HttpImageFetcher(
        tmp_path / "cache", transport=_server(make_pictures(tmp_path / "p"), hits)
    )
    data = await fetcher.fetch("https://i.imgur.com/chart.png")
    [cached] = (tmp_path / "cache").iterdir()  # no temporary file left beside it
    assert cached.read_bytes() == data and not cached.name.startswith(".")
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600
