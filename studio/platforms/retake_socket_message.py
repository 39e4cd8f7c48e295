"""The Socket.IO client-to-server ``message`` of retake.tv (section 7): a chat line, tip
or trade, signed with the Privy user JWT as ``sender_token``.

The payload is validated (``SocketMessage``) before anything is sent; the JWT is added
at the last moment and only from a ``PrivyJwt``, so the agent's access token can never
travel in a payload. ``send_socket_message`` connects, sends and disconnects (the CLI);
``RetakeLive.send`` uses a running feed's connection.
"""

from __future__ import annotations

import contextlib
from typing import Any

import socketio
from pydantic import BaseModel, ConfigDict, Field

from studio.platforms._http import PlatformError
from studio.platforms.retake_errors import PLATFORM
from studio.platforms.retake_jwt import PrivyJwt, WrongCredential
from studio.validation import check
from studio.validation.retake import SocketMessage


class SocketNotConnected(PlatformError):
    """A socket ``message`` could not be sent: there is no connection."""


class SocketAck(BaseModel):
    """The server's acknowledgement of a ``message`` (``ok``, or a status and error)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    ok: bool
    status: int | None = None
    error: str | None = None
    id: str | None = Field(None, alias="_id")


def message_payload(jwt: PrivyJwt, message: SocketMessage | dict[str, Any]) -> dict[str, Any]:
    """The document's payload: the validated message plus ``sender_token``.

    Raises ``WrongCredential`` when ``jwt`` is not a ``PrivyJwt`` (an access token
    never goes into a socket payload)."""
    if not isinstance(jwt, PrivyJwt):
        raise WrongCredential(
            f"the socket message takes the Privy user JWT as sender_token, not a {type(jwt).__name__}",
            fix="Load it with load_privy_jwt() (RETAKE_PRIVY_JWT); the access_token never goes "
            "into a socket payload.",
        )
    checked = check(SocketMessage, message, what="socket message")
    return {**checked.model_dump(exclude_none=True), "sender_token": jwt.reveal()}


async def emit_message(
    sio: socketio.AsyncClient,
    jwt: PrivyJwt,
    message: SocketMessage | dict[str, Any],
    *,
    wait_seconds: float = 5.0,
) -> SocketAck:
    """Emit ``message`` and wait for the server's acknowledgement. A refusal (401, 403,
    404, 409, 400) raises a ``PlatformError`` naming it; a server that does not
    acknowledge within ``wait_seconds`` gives ``SocketAck(ok=True)`` with no id, since the
    document does not promise an acknowledgement."""
    payload = message_payload(jwt, message)
    try:
        reply = await sio.call("message", payload, timeout=wait_seconds)
    except socketio.exceptions.TimeoutError:
        return SocketAck(ok=True)
    ack = SocketAck.model_validate(reply) if isinstance(reply, dict) else SocketAck(ok=True)
    if not ack.ok:
        raise PlatformError(
            f"the socket message was refused: {ack.error or 'no reason given'}",
            platform=PLATFORM,
            status=ack.status,
            fix="Check the session_id and streamer_id, and that the Privy JWT is fresh "
            "(RETAKE_PRIVY_JWT).",
        )
    return ack


async def send_socket_message(
    origin: str,
    jwt: PrivyJwt,
    message: SocketMessage | dict[str, Any],
    *,
    wait_seconds: float = 5.0,
    transports: list[str] | None = None,
) -> SocketAck:
    """Connect, send one ``message``, disconnect (the CLI's way)."""
    message_payload(jwt, message)  # validate before connecting: nothing sent on bad input
    sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
    try:
        await sio.connect(
            origin, socketio_path="socket.io", transports=transports, wait_timeout=wait_seconds
        )
    except (socketio.exceptions.ConnectionError, OSError, TimeoutError) as exc:
        raise SocketNotConnected(
            f"could not connect to {origin}/socket.io/ ({type(exc).__name__})",
            platform=PLATFORM,
            fix="Check the network and STUDIO_RETAKE_URL, then send again.",
        ) from None
    try:
        return await emit_message(sio, jwt, message, wait_seconds=wait_seconds)
    finally:
        with contextlib.suppress(Exception):
            await sio.disconnect()
