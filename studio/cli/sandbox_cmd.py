"""``studio sandbox``: serve the three sandboxed platforms on loopback, with a real
RTMP receiver (nginx-rtmp) behind the RTMP URLs they hand out."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to bind.")
@click.option("--port", default=8700, show_default=True, help="HTTP port of the three APIs.")
@click.option("--rtmp-port", default=1935, show_default=True, help="Port of the RTMP receiver.")
@click.option(
    "--record-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the receiver records every publish (default: a temporary folder).",
)
@click.option("--no-rtmp", is_flag=True, help="Do not start the RTMP receiver.")
@click.option(
    "--rtmp-base",
    default=None,
    help="RTMP base URL the sandbox hands out (default: the receiver, rtmp://127.0.0.1:<rtmp-port>).",
)
@click.option(
    "--auto-tweets",
    is_flag=True,
    help="Accept any well-formed tweet URL as containing the retake.tv verification code "
    "(for rehearsals with no human to tweet).",
)
def sandbox(
    host: str,
    port: int,
    rtmp_port: int,
    record_dir: Path | None,
    no_rtmp: bool,
    rtmp_base: str | None,
    auto_tweets: bool,
) -> None:
    """Serve retake.tv, ClawCast and baseFM sandboxes on loopback.

    Point the studio at it with STUDIO_RETAKE_URL, STUDIO_CLAWCAST_URL and
    STUDIO_BASEFM_URL set to the printed origin. Unless --no-rtmp is given, an
    nginx-rtmp receiver listens on --rtmp-port, accepts only the keys the sandbox
    handed out (any key on the `extra` application) and records every stream.
    """
    import uvicorn

    from studio.sandbox.app import Sandbox, SandboxConfig
    from studio.sandbox.rtmp_receiver import RtmpReceiver

    if not host.startswith("127.") and host not in ("localhost", "::1"):
        raise click.BadParameter("the sandbox serves loopback only", param_hint="--host")
    origin = f"http://{host}:{port}"
    rtmp_base = rtmp_base or f"rtmp://127.0.0.1:{rtmp_port}"
    app = Sandbox(
        SandboxConfig(rtmp_base=rtmp_base, origin=origin, retake_auto_tweets=auto_tweets)
    ).app
    receiver: RtmpReceiver | None = None
    if not no_rtmp:
        receiver = RtmpReceiver(rtmp_port, record_dir, callback_origin=origin).start()
    try:
        click.echo(f"sandbox: retake.tv, ClawCast and baseFM on {origin}")
        click.echo(
            f"  export STUDIO_RETAKE_URL={origin} STUDIO_CLAWCAST_URL={origin} STUDIO_BASEFM_URL={origin}"
        )
        if receiver is not None:
            click.echo(f"rtmp: receiver on {receiver.base_url} (apps retake, basefm, extra)")
            click.echo(f"  recordings in {receiver.record_dir}")
        # uvicorn re-raises SIGTERM once it has shut down; make that an exit that
        # runs the ``finally`` below, so the receiver never outlives the sandbox.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="off")
    finally:
        if receiver is not None:
            receiver.stop()
            click.echo("rtmp: receiver stopped")
