"""What the control API's commands may use: the bus, the operator, the running
go-live and the platform clients (the legs' own, or public ones for discovery)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from studio.config import Paths, PlatformUrls
from studio.control.operator import ControlOperator
from studio.control.state import BroadcastState
from studio.events import EventBus

if TYPE_CHECKING:
    from studio.golive.leg import Leg
    from studio.golive.sequence import GoLive
    from studio.platforms.basefm import BasefmClient
    from studio.platforms.clawcast import ClawcastClient
    from studio.platforms.retake import RetakeClient
    from studio.platforms.retake_account import RetakeAccount


class CommandRefused(Exception):
    """A command that cannot be done now; ``code`` is the response's status code."""

    def __init__(self, code: int, comment: str) -> None:
        super().__init__(comment)
        self.code = code
        self.comment = comment


@dataclass
class Runtime:
    bus: EventBus
    operator: ControlOperator
    state: BroadcastState
    urls: PlatformUrls = field(default_factory=PlatformUrls.from_env)
    paths: Paths = field(default_factory=Paths.from_env)
    transport: Any = None
    golive: GoLive | None = None
    stop_reason: str | None = None
    """Set when a stop arrives before the go-live is built (it then never starts)."""
    stopped: asyncio.Event = field(default_factory=asyncio.Event)
    _own: dict[str, Any] = field(default_factory=dict)
    _closing: list[Any] = field(default_factory=list)
    """Clients replaced while the service runs (a new JWT), closed with the rest."""

    # -- the broadcast ----------------------------------------------------------------
    def request_stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
        self.stopped.set()
        if self.golive is not None:
            self.golive.request_stop(reason)

    def leg(self, platform: str) -> Leg | None:
        if self.golive is None:
            return None
        return next((leg for leg in self.golive.legs if leg.platform == platform), None)

    def require_leg(self, platform: str, name: str) -> Any:
        leg = self.leg(platform)
        if leg is None:
            raise CommandRefused(
                409,
                f"{name} is not part of this broadcast; start one with `studio golive --{platform}`",
            )
        return leg

    @property
    def has_kiosk(self) -> bool:
        return self.golive is not None and self.golive.ctx.kiosk is not None

    # -- platform clients -------------------------------------------------------------
    def retake_agent(self) -> tuple[RetakeClient, str]:
        """The retake leg's authenticated client and the agent's own userDbId."""
        leg = self.require_leg("retake", "retake.tv")
        return leg.client, leg.user_db_id

    def retake_public(self) -> RetakeClient:
        leg = self.leg("retake")
        if leg is not None:
            return leg.client  # type: ignore[attr-defined,no-any-return]
        return self._client("retake")  # type: ignore[no-any-return]

    def clawcast(self) -> ClawcastClient:
        leg = self.leg("clawcast")
        if leg is not None:
            return leg.client  # type: ignore[attr-defined,no-any-return]
        return self._client("clawcast")  # type: ignore[no-any-return]

    def basefm(self) -> BasefmClient:
        leg = self.leg("basefm")
        if leg is not None:
            return leg.client  # type: ignore[attr-defined,no-any-return]
        return self._client("basefm")  # type: ignore[no-any-return]

    def retake_account(self) -> RetakeAccount:
        """The core's section-6 client with the Privy user JWT the operator gave the
        service (``RETAKE_PRIVY_JWT`` or its 0600 file, read as the CLI reads it, again
        at each command so a JWT saved later is used); refused when there is none."""
        from studio.platforms.retake_account import RetakeAccount
        from studio.platforms.retake_jwt import ENV_JWT, load_privy_jwt

        jwt = load_privy_jwt(self.paths)
        if jwt is None:
            raise CommandRefused(
                409,
                "the retake.tv account needs the Privy user JWT, and this service has none: "
                f"set {ENV_JWT} where the service starts, or save it with "
                "`studio retake jwt save` (it reads the JWT on stdin)",
            )
        held = self._own.get("account")
        if held is not None and held[0] == jwt:
            return held[1]  # type: ignore[no-any-return]
        account = RetakeAccount(self.urls.retake, jwt=jwt, transport=self.transport)
        self._own["account"] = (jwt, account)
        if held is not None:
            self._closing.append(held[1])
        return account

    def _client(self, platform: str) -> Any:
        if platform not in self._own:
            from studio.platforms.basefm import BasefmClient
            from studio.platforms.clawcast import ClawcastClient
            from studio.platforms.retake import RetakeClient

            if platform == "retake":
                self._own[platform] = RetakeClient(self.urls.retake, transport=self.transport)
            elif platform == "clawcast":
                # no session store: a discovery client never holds this studio's slot
                self._own[platform] = ClawcastClient(
                    self.urls.clawcast, transport=self.transport, persist=False
                )
            else:
                self._own[platform] = BasefmClient(self.urls.basefm, transport=self.transport)
        return self._own[platform]

    async def aclose(self) -> None:
        for held in self._own.values():
            client = held[1] if isinstance(held, tuple) else held
            await client.aclose()
        for client in self._closing:
            await client.aclose()
        self._own.clear()
        self._closing.clear()
