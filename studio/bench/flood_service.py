"""The broadcast side of row 8, in its own process as the real service is: the control
API's server (``ControlServer`` on a Unix socket, the very class the service runs) whose
bus carries a flood of ``ChatLine`` events, each as the platform clients publish it.

    python -m studio.bench.flood_service SOCKET COUNT

Prints ``ready`` once it listens; a line ``go`` on its standard input floods COUNT
lines and prints ``sent SECONDS``; ``lost`` prints ``lost N`` (events its attached
clients never got, each replaced by a resync); the end of its input stops it. Bounded: it sends
only when told and ends with its input.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from studio.config import Paths, PlatformUrls
from studio.control.operator import ControlOperator
from studio.control.runtime import Runtime
from studio.control.server import ControlServer
from studio.control.state import BroadcastState
from studio.events import EventBus
from studio.golive.events import ChatLine, PlatformLive

SLICE = 100
"""Lines published between two turns of the event loop (the writers run in between)."""


def text_of(n: int) -> str:
    return f"message {n} from the audience, with a few words more to wrap"


async def flood(bus: EventBus, first: int, count: int) -> float:
    start = time.perf_counter()
    for n in range(first, first + count):
        bus.publish(ChatLine(platform="retake", author=f"viewer{n % 50}", text=text_of(n)))
        if n % SLICE == SLICE - 1:
            await asyncio.sleep(0)
    return time.perf_counter() - start


async def main(socket_path: Path, count: int) -> None:
    bus = EventBus()
    runtime = Runtime(
        bus, ControlOperator(bus), BroadcastState(service={"pid": 0}),
        urls=PlatformUrls.from_env(), paths=Paths.from_env(),
    )  # fmt: skip
    server = ControlServer(runtime, socket_path)
    await server.start()
    bus.publish(PlatformLive(platform="retake", url="http://127.0.0.1/bench"))
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    sent = 0
    while line := await reader.readline():
        if line.strip() == b"lost":
            print(f"lost {sum(peer.lost for peer in server.peers)}", flush=True)
            continue
        print(f"sent {await flood(bus, sent, count):.4f}", flush=True)
        sent += count
    await server.close(within=1.0)
    await runtime.aclose()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
