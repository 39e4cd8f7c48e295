"""``studio console``: the operator's control room, a client of the broadcast service.

Keyboard first; the Footer shows the keys, F1 the focused pane's, Ctrl+P finds every
action by name. From 80x24 (one pane at a time, chat on F2) to 200x50 (chat beside
the panes). Everything it shows comes from the service's events folded into one
``ConsoleModel``; everything it does is a ``Command`` to the service.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import AwaitMount, Widget
from textual.widgets import Header, TabbedContent, TabPane

from studio import heap
from studio.console.client import Command, ConsoleClient, Response, Resync
from studio.console.config import ConsoleConfig
from studio.console.key_footer import KeyFooter
from studio.console.messages import CommandAnswered, SendCommand
from studio.console.model import ALL_TOPICS, ConsoleModel, Topic
from studio.console.panes.chat.chat_pane import ChatPane
from studio.console.panes.operator.operator_pane import OperatorPane
from studio.console.panes.pane import Pane
from studio.console.screens.confirm_stop import ConfirmStop
from studio.console.screens.help_screen import HelpScreen
from studio.errors import StudioError
from studio.ui.app_base import AppBase

if TYPE_CHECKING:
    from textual.types import AnimationLevel

    from studio.golive.plan import Plan

log = logging.getLogger(__name__)

TABS = {"viewer": "Viewer", "queue": "Queue", "composer": "Slides", "operator": "Operator",
        "voice": "Voice", "account": "Account"}  # fmt: skip
FIRST_TAB = "operator"
LATER_PANES = {
    "viewer": "studio.console.panes.viewer.viewer_pane:ViewerPane",
    "queue": "studio.console.panes.queue.queue_pane:QueuePane",
    "composer": "studio.console.panes.composer.composer_pane:ComposerPane",
    "voice": "studio.console.panes.voice.voice_pane:VoicePane",
    "account": "studio.console.panes.account.account_pane:AccountPane",
}
"""The panes not shown at start, each imported and composed the first time its tab is
shown: the console paints its first screen without them (benchmark row 9)."""


def pane_class(tab: str) -> type[Pane]:
    """The class of a pane shown later, its module imported now."""
    module, name = LATER_PANES[tab].split(":")
    cls = getattr(importlib.import_module(module), name)
    assert issubclass(cls, Pane)
    return cls


REATTACH_SECONDS = 2.0
TURN_SECONDS = 0.02
"""The longest the console applies buffered events before it lets keys and drawing in."""
ANIMATIONS: AnimationLevel = "basic"
"""Scrolling still glides; the tab underline no longer slides (about 17 extra frames, some
60 ms of CPU, on every tab switch: keys waited behind them). TEXTUAL_ANIMATIONS overrides."""


class ConsoleApp(AppBase):
    CSS_PATH = [
        "../ui/global.tcss",
        "console.tcss",
        "panes/chat/chat.tcss",
        "panes/viewer/viewer.tcss",
        "panes/queue/queue.tcss",
        "panes/composer/composer.tcss",
        "panes/operator/operator.tcss",
        "panes/voice/voice.tcss",
        "panes/account/account.tcss",
        "screens/screens.tcss",
    ]
    TITLE = "studio console"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", priority=True, id="console.help", tooltip="The keys of the pane you are in."),
        Binding("f2", "show_chat", "Chat", priority=True, id="console.chat",
                tooltip="The chat (beside the panes on wide terminals, instead of them on small ones)."),
        Binding("f3", "show_tab('viewer')", "Viewer", priority=True, id="console.viewer",
                tooltip="The on-air frame, the encoder, destinations and viewers."),
        Binding("f4", "show_tab('queue')", "Queue", priority=True, id="console.queue",
                tooltip="ClawCast queue, baseFM DJs and relays, retake's directory."),
        Binding("f5", "show_tab('composer')", "Slides", priority=True, id="console.composer",
                tooltip="Compose, save, book and publish ClawCast slides; duets."),
        Binding("f6", "show_tab('operator')", "Operator", priority=True, id="console.operator",
                tooltip="Steps that need you, the legs, notices."),
        Binding("f11", "show_tab('voice')", "Voice", priority=True, id="console.voice", show=False,
                tooltip="Speak on air, music, volumes and mute, the alert sounds."),
        Binding("f12", "show_tab('account')", "Account", priority=True, id="console.account",
                show=False, tooltip="The retake.tv account: profile, following, sessions."),
        Binding("f8", "next_theme", "Theme", priority=True, id="console.theme",
                tooltip="Switch to the next theme (Ctrl+P lists them all)."),
        Binding("f9", "golive", "Go live", priority=True, id="console.golive",
                tooltip="Off air: choose platforms and details, then go live as a service."),
        Binding("f10", "stop", "Stop", priority=True, id="console.stop",
                tooltip="End the broadcast on every platform (asks first)."),
        Binding("ctrl+r", "reconnect", "Reconnect", priority=True, id="console.reconnect", show=False,
                tooltip="Skip the watchdog's wait and reconnect failed destinations now."),
        Binding("ctrl+q", "quit", "Quit", id="console.quit", priority=True,
                tooltip="Close the console. The broadcast goes on; attach again any time."),
    ]  # fmt: skip

    def __init__(
        self,
        client: ConsoleClient,
        config: ConsoleConfig | None = None,
        *,
        model: ConsoleModel | None = None,
    ) -> None:
        self.config = config or ConsoleConfig()
        super().__init__(theme_name=self.config.theme, theme_folders=self.config.theme_folders)
        self.client = client
        self.model = model or ConsoleModel(now=self.config.now)
        self.attached = asyncio.Event()
        self._unreachable: str | None = None
        """Why the service cannot be reached, once said (retries stay quiet)."""
        self.responses: list[tuple[Command, object]] = []
        self._panes: list[Pane] = []
        self._mounting: dict[str, AwaitMount] = {}
        """Panes being mounted on their first show, by tab."""
        self._opening: set[str] = set()
        """Tabs an ``open_tab`` worker is showing (their pane may not be mounted yet)."""
        self._unshown: set[Topic] = set()
        self._heap_frozen = False
        self.starting = False
        """A broadcast service is being started from the Go live form."""
        if self.config.frozen:
            self.animation_level = "none"
        elif "TEXTUAL_ANIMATIONS" not in os.environ:
            self.animation_level = ANIMATIONS

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="●")
        with Horizontal(id="main"):
            with TabbedContent(initial=FIRST_TAB, id="tabs"):
                for tab, title in TABS.items():
                    with TabPane(title, id=tab):
                        if tab == FIRST_TAB:
                            yield OperatorPane(self.model, id=f"{tab}-pane")
            yield ChatPane(self.model, id="chat")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        if self.config.frozen:
            self.unblink(self.screen)
        else:
            self.set_interval(1.0, self.tick)
            self.set_interval(self.config.queue_interval, self._refresh_queue)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.attach()

    def on_unmount(self) -> None:
        if self._heap_frozen:
            heap.thaw()

    def unblink(self, root: Widget | Screen) -> None:
        """Frozen consoles (tests) draw a steady cursor, so every picture is the same."""
        if self.config.frozen:
            for widget in root.query("Input, TextArea"):
                widget.cursor_blink = False  # type: ignore[attr-defined]

    # -- the service -------------------------------------------------------------------

    @work(exclusive=True, group="service")
    async def attach(self) -> None:
        """Attach, draw the whole state, then follow the events; reattach if it drops."""
        while True:
            try:
                async with self.client.attach() as attachment:
                    self.attached.set()
                    self._unreachable = None
                    self.reset_panes()
                    self.update_panes(self.model.apply_snapshot(attachment.snapshot) | ALL_TOPICS)
                    if not self._heap_frozen:  # drawn: what the console holds now stays
                        self._heap_frozen = True
                        self.call_after_refresh(heap.freeze)
                    turn_ends = time.monotonic() + TURN_SECONDS
                    async for event in attachment.events:
                        if isinstance(event, Resync):
                            self.reset_panes()
                            topics = self.model.apply_snapshot(event.snapshot) | ALL_TOPICS
                        else:
                            topics = self.model.apply(event)
                        if topics:
                            self._changed(topics)
                        if time.monotonic() >= turn_ends:
                            # events already buffered would otherwise hold the loop, and
                            # every key press with it, until the last one is drawn
                            await asyncio.sleep(0)
                            turn_ends = time.monotonic() + TURN_SECONDS
                    return
            except (OSError, ConnectionError) as exc:
                self.attached.clear()
                self.update_panes({"legs"})
                self.sub_title = "not attached"
                reason = f"Not attached: {exc}."
                if reason != self._unreachable:  # once an outage, not once a retry
                    self._unreachable = reason
                    self.notify(f"{reason} (tried every {REATTACH_SECONDS:g} s)",
                                severity="warning", timeout=30)  # fmt: skip
                if self.config.frozen:
                    return
                await asyncio.sleep(REATTACH_SECONDS)

    @property
    def panes(self) -> list[Pane]:
        """The panes mounted so far (found once per mount: a DOM query per event cost
        10 ms)."""
        if not self._panes:
            self._panes = list(self.query(Pane))
        return self._panes

    async def show_pane(self, tab: str) -> Pane:
        """The pane of ``tab``, imported and mounted now if it has not been shown yet (it
        draws the whole model as it mounts)."""
        pane = self.mounted_pane(tab)
        if pane is None:
            pane = pane_class(tab)(self.model, id=f"{tab}-pane")
            self._mounting[tab] = self.query_one(f"TabPane#{tab}").mount(pane)
            self._panes = []
        if (mounting := self._mounting.get(tab)) is not None:
            await mounting
            self._mounting.pop(tab, None)
            self.unblink(pane)
        return pane

    def mounted_pane(self, tab: str) -> Pane | None:
        """The pane of ``tab`` if it has been shown (and so mounted)."""
        return next(self.query(f"#{tab}-pane").results(Pane), None)

    def reset_panes(self) -> None:
        """Before a whole new state (attach, resync): the model and panes start empty."""
        self.model.reset()
        for pane in self.panes:
            pane.reset()

    def _changed(self, topics: set[Topic]) -> None:
        """Panes redraw once for every event that came in meanwhile (a flood of chat is
        drawn in batches, not line by line, and the keys are answered in between)."""
        if not self._unshown:
            self.call_later(self._show_changes)
        self._unshown |= topics

    def _show_changes(self) -> None:
        topics, self._unshown = self._unshown, set()
        if topics and self.is_running:  # not while the app is being taken down
            self.update_panes(topics)

    def update_panes(self, topics: set[Topic]) -> None:
        for pane in self.panes:
            wanted = topics & pane.topics
            if wanted and pane.ready:
                pane.update_from_model(set(wanted))
        if "legs" in topics:
            self.sub_title = ("LIVE" if self.model.live else "off air") + (
                "" if self.attached.is_set() else " · not attached"
            )
        if "operator" in topics and self.model.pending:
            self.call_later(self.action_show_tab, "operator")

    def tick(self) -> None:
        if not self.is_running:  # the app is being taken down, its panes' children first
            return
        for pane in self.query(Pane):  # once a second, and never a pane being taken down
            if pane.ticks and pane.ready and pane.is_on_screen:
                pane.tick()  # type: ignore[attr-defined]

    def _refresh_queue(self) -> None:
        queue = self.mounted_pane("queue")
        if queue is not None and queue.is_on_screen:
            queue.fetch()

    @on(SendCommand)
    def _send_command(self, message: SendCommand) -> None:
        self.send(message.command, message.success)

    @work(group="commands")
    async def send(self, command: Command, success: str = "") -> None:
        await self.request(command, success)

    async def request(
        self, command: Command, success: str = "", *, quiet: bool = False
    ) -> Response | None:
        """Send ``command``, say how it went (unless ``quiet``: a pane reading state shows
        the answer itself), and hand back the response (None: it was not sent)."""
        try:
            response = await self.client.send(command)
        except (OSError, ConnectionError) as exc:
            self.notify(f"{command.verb} was not sent: {exc}", title="Not sent", severity="error")
            return None
        self.responses.append((command, response))
        self.post_message(CommandAnswered(command, response))
        if quiet:
            return response
        if response.ok:
            self.notify(success or response.comment or f"{command.verb}: done", timeout=4)
        else:
            problems = "".join(f"\n{p.get('field')}: {p.get('rule')}" for p in response.problems)
            self.notify((response.comment or f"{command.verb} failed") + problems, title="Refused",
                        severity="error", timeout=8)  # fmt: skip
        return response

    # -- actions -----------------------------------------------------------------------

    def action_show_tab(self, tab: str) -> None:
        """Show ``tab`` at once. A pane shown before is fetched and focused here; one shown
        for the first time is mounted, fetched and focused by ``open_tab``, a worker, so
        the console goes on answering keys and taking events while it mounts (a first
        show awaited here held every key behind it: benchmark row 8)."""
        self.screen.remove_class("-chat")
        self.query_one("#tabs", TabbedContent).active = tab
        pane = self.mounted_pane(tab)
        if pane is not None and tab not in self._mounting:
            pane.fetch()
            self._focus_in(pane)
        else:
            # the focus must leave the pane just hidden, or its tab takes the focus back
            self.set_focus(None)
            self._open(tab)

    def _open(self, tab: str, action: str | None = None) -> None:
        self._opening.add(tab)
        self.open_tab(tab, action)

    @work(group="open-tab")
    async def open_tab(self, tab: str, action: str | None = None) -> None:
        """``tab`` shown, its pane mounted if it is the first show, fetched, focused if
        it is still the tab shown once mounted; then ``action`` run on it, if given."""
        tabs = self.query_one("#tabs", TabbedContent)
        if tabs.active != tab:
            self.screen.remove_class("-chat")
            tabs.active = tab
        try:
            pane = await self.show_pane(tab)
        finally:
            self._opening.discard(tab)
        pane.fetch()
        if tabs.active == tab:  # not if another tab was chosen while it mounted
            self._focus_in(pane)
        if action is not None:
            await pane.run_action(action)

    def _focus_in(self, pane: Pane) -> None:
        if self.focused is None or pane not in self.focused.ancestors_with_self:
            pane.focus_first()

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        """A tab chosen with the mouse or the tab keys: its pane comes on first show."""
        tab = event.pane.id
        if tab in LATER_PANES and self.mounted_pane(tab) is None and tab not in self._opening:
            self._open(tab)

    def action_show_chat(self) -> None:
        if self.screen.has_class("-narrow"):
            self.screen.toggle_class("-chat")
        if self.screen.has_class("-chat") or not self.screen.has_class("-narrow"):
            self.query_one(ChatPane).action_compose()

    def action_golive(self) -> None:
        """Off air: the Go live form, then the same detached service as
        ``studio golive --detach``. On air: say so (one broadcast at a time)."""
        if self.attached.is_set():
            state = "live" if self.model.live else "running"
            self.notify(f"A broadcast is already {state}; this console is attached to it. "
                        "F10 stops it.", title="Already on", timeout=6)  # fmt: skip
            return
        if self.starting:
            self.notify("The broadcast is starting.", timeout=4)
            return
        from studio.console.screens.golive_form import GoLiveForm

        if isinstance(self.screen, GoLiveForm):
            return

        def chosen(plan: Plan | None) -> None:
            if plan is not None:
                self.start_broadcast(plan)

        self.push_screen(GoLiveForm(), chosen)

    @work(thread=True, exclusive=True, group="golive")
    def start_broadcast(self, plan: Plan) -> None:
        """Start the service detached (it outlives the console), then attach to it."""
        from studio.control.service import spawn_detached

        self.starting = True
        self.call_from_thread(self.notify, "Starting the broadcast…", timeout=4)
        try:
            info = spawn_detached(plan, socket_path=self.client.socket_path)
        except StudioError as exc:
            self.call_from_thread(self.notify, f"{exc.message}\n{exc.fix or ''}".strip(),
                                  title="Not started", severity="error", timeout=15)  # fmt: skip
            return
        finally:
            self.starting = False
        self.call_from_thread(self.notify, f"Broadcast service started (pid {info.pid}); "
                              "follow the steps in Operator.", timeout=6)  # fmt: skip
        self.call_from_thread(self.attach)

    def action_stop(self) -> None:
        live = sorted(name for name, leg in self.model.legs.items() if leg.live and not leg.stopped)

        def confirmed(stop: bool | None) -> None:
            if stop:
                self.send(
                    Command("stop", {"reason": "stopped by the operator"}), "Stopping every leg"
                )

        self.push_screen(ConfirmStop(live), confirmed)

    def action_reconnect(self) -> None:
        self.send(Command("reconnect"), "Reconnecting now")

    def action_next_theme(self) -> None:
        names = sorted(self.available_themes)
        self.theme = names[(names.index(self.theme) + 1) % len(names)]
        self.notify(f"Theme: {self.theme}", timeout=2)

    def _theme_changed(self, _theme: object) -> None:
        self.query_one(ChatPane).redraw_all()
        self.update_panes(set(ALL_TOPICS))

    def current_pane(self) -> Pane:
        focused = self.focused
        if focused is not None:
            for node in focused.ancestors_with_self:
                if isinstance(node, Pane):
                    return node
        if self.screen.has_class("-chat"):
            return self.query_one(ChatPane)
        active = self.query_one("#tabs", TabbedContent).active
        return self.query_one(f"#{active}-pane", Pane)

    def action_help(self) -> None:
        pane = self.current_pane()
        bindings: list[BindingType] = []
        focused = self.focused
        chain: Iterable[DOMNode] = focused.ancestors_with_self if focused is not None else [pane]
        for node in chain:
            if isinstance(node, Screen):
                break
            bindings.extend(b for b in node.BINDINGS if isinstance(b, Binding) and b.id)
            if node is pane:
                break
        title = {"chat": "Chat"}.get(
            pane.id or "", TABS.get((pane.id or "").removesuffix("-pane"), "Pane")
        )
        self.push_screen(HelpScreen(title, bindings, list(self.BINDINGS)))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for node in (self, *self.query(Pane), *self.query("StepPrompt, ChatLog")):
            for binding in _named(node.BINDINGS):
                action = binding.action
                yield SystemCommand(
                    binding.description,
                    f"{binding.tooltip} ({binding.key_display or binding.key})",
                    lambda node=node, action=action: self.call_later(node.run_action, action),
                )
        for tab in LATER_PANES:  # the panes not shown yet: shown first, then the action
            if self.mounted_pane(tab) is None:
                for binding in _named(pane_class(tab).BINDINGS):
                    yield SystemCommand(
                        binding.description,
                        f"{binding.tooltip} ({binding.key_display or binding.key})",
                        lambda tab=tab, action=binding.action: self._open(tab, action),
                    )
        for name in sorted(self.available_themes):
            yield SystemCommand(f"Theme: {name}", "Switch the console's colours now",
                                lambda name=name: setattr(self, "theme", name), discover=False)  # fmt: skip


def _named(bindings: Iterable[BindingType]) -> Iterable[Binding]:
    """The bindings with an id: the ones the command palette lists."""
    return (b for b in bindings if isinstance(b, Binding) and b.id)
