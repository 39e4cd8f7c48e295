"""What a person at the terminal reads for the builder's notifications and dead air."""

from __future__ import annotations

import io

from rich.console import Console

from studio.golive.events import BuilderNotification, ChatQuiet
from studio.golive.human_output import HumanOutput


def test_builder_notifications_and_quiet_chat_read_plainly():
    buffer = io.StringIO()
    output = HumanOutput(Console(file=buffer, width=200, color_system=None))
    output(BuilderNotification(reason="shutdown_warning", text="CRISIS: act now", urgent=True))
    output(
        ChatQuiet(platform="retake", quiet_seconds=130, prompt="Chat has been quiet.", line="hi")
    )
    assert buffer.getvalue().splitlines() == [
        "",
        "!!! 📣 for your builder (shutdown_warning):",
        "CRISIS: act now",
        "",
        "  🔇 Chat has been quiet. (sent: hi)",
    ]
