"""How much the control API costs the broadcast: publish throughput and memory with
readers attached and one client that never reads (it must cost nothing more).

    .venv/bin/python -m studio.bench.control_fanout [events]

Bounded: it publishes a fixed number of events and stops by itself.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from studio.config import Paths, PlatformUrls
from studio.control.client import ControlClient
from studio.control.operator import ControlOperator
from studio.control.runtime import Runtime
from studio.control.server import ControlServer
from studio.control.state import BroadcastState
from studio.events import EventBus
from studio.golive.events import ChatLine


async def run(events: int, readers: int, stalled: bool, memory: bool) -> dict[str, float]:
    bus = EventBus()
    runtime = Runtime(
        bus,
        ControlOperator(bus),
        BroadcastState(),
        urls=PlatformUrls.from_env(),
        paths=Paths.from_env(),
    )
    path = Path(tempfile.mkdtemp(prefix="bench-")) / "c.sock"
    server = ControlServer(runtime, path, max_queue=2000)
    await server.start()
    clients = [await ControlClient.connect(path, events=["chat.*"]) for _ in range(readers)]
    stuck = None
    if stalled:
        reader, stuck = await asyncio.open_unix_connection(str(path), limit=2**16)
        stuck.write(b'{"op":"hello","protocol":1}\n')
        await stuck.drain()
        await asyncio.sleep(0.05)
    received = [0] * readers

    async def read(i: int, client: ControlClient) -> None:
        async for _ in client.events():
            received[i] += 1
            if received[i] == events:
                return

    tasks = [asyncio.create_task(read(i, c)) for i, c in enumerate(clients)]
    if memory:
        tracemalloc.start()
    start = time.perf_counter()
    publish_time = 0.0
    for n in range(events):
        t = time.perf_counter()
        bus.publish(ChatLine(platform="retake", author=f"viewer{n % 50}", text=f"message {n} " * 4))
        publish_time += time.perf_counter() - t
        if n % 100 == 0:
            await asyncio.sleep(0)
    await asyncio.wait_for(asyncio.gather(*tasks), 120)
    total = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if memory else 0
    tracemalloc.stop()
    longest = max((len(p.events) for p in server.peers), default=0)
    for c in clients:
        await c.close()
    if stuck is not None:
        stuck.close()
    await server.close(within=0.5)
    return {
        "publish_us": publish_time / events * 1e6,
        "end_to_end_events_per_s": events / total,
        "peak_mb": peak / 1e6,
        "longest_queue": longest,
    }


async def main() -> None:
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    for readers, stalled in ((0, False), (1, False), (4, False), (4, True)):
        result = await run(events, readers, stalled, memory=False)
        result["peak_mb"] = (await run(events // 4, readers, stalled, memory=True))["peak_mb"]
        label = f"{readers} readers" + (" + 1 stalled" if stalled else "")
        print(
            f"{label:<22} publish {result['publish_us']:6.1f} µs/event, "
            f"delivered {result['end_to_end_events_per_s']:8.0f} events/s, "
            f"peak {result['peak_mb']:5.1f} MB, longest queue {result['longest_queue']}"
        )


if __name__ == "__main__":
    asyncio.run(main())
