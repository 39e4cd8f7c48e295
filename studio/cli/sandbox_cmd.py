"""``studio sandbox``: serve the three sandboxed platforms on loopback."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to bind.")
@click.option("--port", default=8700, show_default=True, help="HTTP port of the three APIs.")
@click.option("--rtmp-base", default="rtmp://127.0.0.1:1935", show_default=True,
              help="RTMP base URL the sandbox hands out (the nginx receiver).")
def sandbox(host: str, port: int, rtmp_base: str) -> None:
    """Serve retake.tv, ClawCast and baseFM sandboxes on loopback.

    Point the studio at it with STUDIO_RETAKE_URL, STUDIO_CLAWCAST_URL and
    STUDIO_BASEFM_URL set to the printed origin.
    """
    import uvicorn

    from studio.sandbox.app import Sandbox, SandboxConfig

    if not host.startswith("127.") and host not in ("localhost", "::1"):
        raise click.BadParameter("the sandbox serves loopback only", param_hint="--host")
    origin = f"http://{host}:{port}"
    app = Sandbox(SandboxConfig(rtmp_base=rtmp_base, origin=origin)).app
    click.echo(f"sandbox: retake.tv, ClawCast and baseFM on {origin}")
    click.echo(f"  export STUDIO_RETAKE_URL={origin} STUDIO_CLAWCAST_URL={origin} STUDIO_BASEFM_URL={origin}")
    uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="off")
