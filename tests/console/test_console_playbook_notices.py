"""The playbook's notifications to the human builder reach the console's operator pane
over the real control API: the builder notification with every platform's link, the
heartbeat, the low-viewers reminder and a shutdown warning as a crisis; a console that
attaches later still sees them (the service keeps them in its state)."""

from __future__ import annotations

from textual.widgets import Log

from studio.console.app import ConsoleApp
from studio.console.service_client import ServiceClient
from studio.golive.events import BuilderNotification
from studio.golive.notify import DEFAULT_IDEAS, builder_notification, low_viewers_reminder
from tests.console.console_helpers import LARGE, T0, frozen_config, settle
from tests.control.control_helpers import served

LINKS = [
    "https://retake.tv/agent_smith",
    "https://tvterminal.com/",
    "https://basefm.space/listen/agent_smith",
]


def notes() -> list[BuilderNotification]:
    return [
        BuilderNotification(at=T0 + 10, reason="live", links=LINKS[:2], text=builder_notification(
            watch_urls=LINKS[:2], viewers=3, ideas=DEFAULT_IDEAS)),
        BuilderNotification(at=T0 + 20, reason="heartbeat", links=LINKS,
                            text="Heartbeat: the last 4.0 hours on stream.\nMilestones: 10 viewers"),
        BuilderNotification(at=T0 + 30, reason="low_viewers", links=LINKS,
                            text=low_viewers_reminder(LINKS[0], 1)),
        BuilderNotification(at=T0 + 40, reason="shutdown_warning", urgent=True, links=LINKS,
                            text="CRISIS: retake.tv sent a shutdown warning for the stream."),
    ]  # fmt: skip


def shown(app: ConsoleApp) -> str:
    return "\n".join(str(line) for line in app.query_one("#notices", Log).lines)


async def test_every_playbook_notification_reaches_the_operator_pane() -> None:
    async with served() as service:
        first = ConsoleApp(ServiceClient(service.socket_path), frozen_config())
        async with first.run_test(size=LARGE) as pilot:
            await settle(pilot, first.attached.is_set)
            for note in notes():
                service.bus.publish(note)
            await settle(pilot, lambda: "Shutdown warning" in shown(first))
            text = shown(first)
            assert "★ playbook: Builder: you are live: I'm live at " + LINKS[0] in text
            assert "Also live at " + LINKS[1] in text
            assert LINKS[2] in text  # baseFM's listen URL, added from the links
            assert "★ playbook: Heartbeat: the last 4.0 hours" in text
            assert "    Milestones: 10 viewers" in text
            assert "★ playbook: Low viewers: Viewer count is 1." in text
            assert "✗ playbook: Shutdown warning (crisis): CRISIS: retake.tv sent" in text
            levels = [n.level for n in first.model.notices if n.platform == "playbook"]
            assert levels == ["operator", "operator", "operator", "error"]
        later = ConsoleApp(ServiceClient(service.socket_path), frozen_config())
        async with later.run_test(size=LARGE) as pilot:
            await settle(pilot, later.attached.is_set)
            await settle(pilot, lambda: "Shutdown warning" in shown(later))
            assert [n.text.split(":")[0] for n in later.model.notices] == [
                "Builder", "Heartbeat", "Low viewers", "Shutdown warning (crisis)",
            ]  # fmt: skip
