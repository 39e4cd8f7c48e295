"""Sandbox of basefm (placeholder: being written)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import socketio
from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from studio.sandbox.app import Sandbox


class BasefmSandbox:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.sio = socketio.AsyncServer(async_mode="asgi")

    def routes(self) -> list[BaseRoute]:
        return []

    def control_routes(self) -> list[BaseRoute]:
        return []

    def on_publish(self, key: str) -> bool:
        return False

    def on_publish_done(self, key: str) -> None:
        return None
