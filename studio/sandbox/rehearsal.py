"""A whole rehearsal world on loopback: the sandbox of the three platforms served on a
real port, and the nginx RTMP receiver its RTMP URLs point at, recording to files."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from studio.config import PlatformUrls
from studio.sandbox.app import Sandbox, SandboxConfig
from studio.sandbox.rtmp_receiver import RtmpReceiver, free_port
from studio.sandbox.server import serve_in_thread


@dataclass
class RehearsalWorld:
    sandbox: Sandbox
    origin: str
    receiver: RtmpReceiver

    @property
    def urls(self) -> PlatformUrls:
        return PlatformUrls(retake=self.origin, clawcast=self.origin, basefm=self.origin)

    def env(self) -> dict[str, str]:
        return {
            "STUDIO_RETAKE_URL": self.origin,
            "STUDIO_CLAWCAST_URL": self.origin,
            "STUDIO_BASEFM_URL": self.origin,
        }


@contextlib.contextmanager
def rehearsal_world(
    record_dir: Path,
    *,
    port: int = 0,
    rtmp_port: int = 0,
    auto_tweets: bool = True,
) -> Iterator[RehearsalWorld]:
    port = port or free_port()
    rtmp_port = rtmp_port or free_port()
    origin = f"http://127.0.0.1:{port}"
    sandbox = Sandbox(
        SandboxConfig(
            rtmp_base=f"rtmp://127.0.0.1:{rtmp_port}", origin=origin, retake_auto_tweets=auto_tweets
        )
    )
    with (
        serve_in_thread(sandbox, port=port) as served,
        RtmpReceiver(rtmp_port, record_dir, callback_origin=served) as receiver,
    ):
        yield RehearsalWorld(sandbox, served, receiver)
