"""The on-air kiosk: the picture the virtual display captures, at 1280x720 (160x45,
128x36 or 90x25 cells: the layout follows the terminal's size).

It opens on the opening card and hands over to the agent's terminal when the agent
writes: an empty terminal is never on air by itself. It holds no platform credentials. The studio drives it over a Unix socket
(``studio.onair``); everything it draws passes through ``AirFilter``.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from rich.console import Console
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import ContentSwitcher

from studio.errors import StudioError
from studio.kiosk.air import AirFilter
from studio.kiosk.config import KioskConfig
from studio.kiosk.control_server import serve
from studio.kiosk.images.halfblock import UPPER_HALF
from studio.kiosk.messages import KioskCommands, SceneChanged
from studio.kiosk.on_air_state import TickerState
from studio.kiosk.scenes.banners.banners import TimedBanner
from studio.kiosk.scenes.chat_overlay.chat_feed import ALERT_ICONS, ChatEntry, ChatFeed, alert_text
from studio.kiosk.scenes.filler.filler_view import FillerView
from studio.kiosk.scenes.opening.opening_view import OpeningView
from studio.kiosk.scenes.slides.slide_deck import SlideDeck
from studio.kiosk.scenes.terminal.tail import follow
from studio.kiosk.scenes.terminal.terminal_view import TerminalView
from studio.kiosk.scenes.ticker.ticker_bar import TickerBar
from studio.onair.protocol import (
    Alert,
    Caption,
    ChatMessage,
    PollResults,
    PushSlides,
    Quit,
    SecretFingerprints,
    ShowMessage,
    SwitchScene,
    TickerUpdate,
)
from studio.ui.app_base import AppBase

log = logging.getLogger(__name__)

IDLE_CHECK_SECONDS = 1.0
CAPTION_SECONDS = 60.0
"""A caption whose end never arrived is taken down after this long."""


class KioskApp(AppBase):
    CSS_PATH = ["../ui/global.tcss", "kiosk.tcss"]
    TITLE = "studio kiosk"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            id="kiosk.quit",
            tooltip="Close the kiosk (the picture goes black).",
        ),
        Binding(
            "f5",
            "scene('filler')",
            "Filler",
            id="kiosk.filler",
            tooltip="Put the filler on air now.",
        ),
        Binding(
            "f6",
            "scene('terminal')",
            "Terminal",
            id="kiosk.terminal",
            tooltip="Back to the agent's terminal.",
        ),
    ]

    def __init__(self, config: KioskConfig | None = None) -> None:
        self.config = config or KioskConfig()
        super().__init__(theme_name=self.config.theme, theme_folders=self.config.theme_folders)
        if self.config.frozen:
            self.animation_level = "none"
        self.air = AirFilter()
        self.state = TickerState()
        self.state.name = self.config.storefront.name
        self.chosen_scene = "terminal"
        self.scene = "opening"
        self.terminal_shown = False
        """Whether the agent's terminal has had something worth showing (then the
        opening card has handed over for good)."""
        self.last_activity = self.config.clock.now()
        self.errors: list[str] = []
        self.following = False

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        cfg = self.config
        yield TimedBanner(air=self.air, frozen=cfg.frozen, id="alert")
        with Horizontal(id="stage"):
            with ContentSwitcher(initial="opening", id="scenes"):
                yield OpeningView(
                    cfg.storefront,
                    air=self.air,
                    fetcher=cfg.fetcher,
                    frozen=cfg.frozen,
                    id="opening",
                )
                yield TerminalView(
                    to_air=self.air.terminal_line,
                    max_lines=cfg.max_lines,
                    refresh_hz=cfg.refresh_hz,
                    id="terminal",
                )
                yield SlideDeck(
                    air=self.air,
                    clock=cfg.clock,
                    fetcher=cfg.fetcher,
                    frozen=cfg.frozen,
                    id="slides",
                )
                yield FillerView(
                    state=self.state,
                    air=self.air,
                    clock=cfg.clock,
                    fetcher=cfg.fetcher,
                    frozen=cfg.frozen,
                    rotate_seconds=cfg.filler_rotate_seconds,
                    slide_view=self._filler_slide,
                    link=cfg.storefront.link or None,
                    id="filler",
                )
            yield ChatFeed(air=self.air, refresh_hz=cfg.refresh_hz, id="chat", classes="hidden")
        yield TimedBanner(air=self.air, frozen=cfg.frozen, id="caption")
        yield TimedBanner(air=self.air, frozen=cfg.frozen, id="message")
        yield TickerBar(self.state, air=self.air, clock=cfg.clock, frozen=cfg.frozen, id="ticker")

    def on_mount(self) -> None:
        super().on_mount()
        self.terminal.frozen = self.config.frozen
        self.opening.start()
        if not self.config.await_secrets:
            self.start_log()
        if self.config.socket_path is not None:
            self.listen()
        if not self.config.frozen and self.config.idle_seconds > 0:
            self.set_interval(IDLE_CHECK_SECONDS, self.check_air)

    # -- parts -------------------------------------------------------------------------

    @property
    def terminal(self) -> TerminalView:
        return self.query_one("#terminal", TerminalView)

    @property
    def opening(self) -> OpeningView:
        return self.query_one("#opening", OpeningView)

    @property
    def deck(self) -> SlideDeck:
        return self.query_one("#slides", SlideDeck)

    @property
    def filler(self) -> FillerView:
        return self.query_one("#filler", FillerView)

    @property
    def chat(self) -> ChatFeed:
        return self.query_one("#chat", ChatFeed)

    def _filler_slide(self, slide: Any) -> Any:
        return self.deck.make_view(slide)

    # -- workers -----------------------------------------------------------------------

    def start_log(self) -> None:
        if self.config.log_path is not None and not self.following:
            self.following = True
            self.follow_log()

    @work(exclusive=True, group="terminal-tail")
    async def follow_log(self) -> None:
        assert self.config.log_path is not None
        async for batch in follow(self.config.log_path):
            batch = batch[-self.config.max_lines :]
            self.terminal.append(batch)
            if not self.terminal_shown and any(
                self.air.terminal_line(line).plain.strip() for line in batch
            ):
                self.terminal_shown = True
                if self.scene == "opening":
                    await self.show_scene(self.chosen_scene, automatic=True)
            await self.activity()

    @work(exclusive=True, group="control-socket")
    async def listen(self) -> None:
        assert self.config.socket_path is not None
        try:
            server = await serve(self.config.socket_path, self._deliver, self.picture_text)
        except (StudioError, OSError) as exc:
            self.errors.append(str(exc))
            self.notify(str(exc), title="Control socket", severity="error", timeout=15)
            return
        try:
            await server.serve_forever()
        finally:
            server.close()
            self.config.socket_path.unlink(missing_ok=True)

    async def picture_text(self) -> str:
        """What viewers see right now, as plain text: every scene, the filler, banners
        and the ticker; picture cells (half blocks) become blanks, except where a picture
        says what words it draws (``alt_text``), and runs of blank lines become one. Everything on screen has passed the
        air filter; the text passes it once more (no control character, no secret)."""
        width, height = self.size
        console = Console(
            width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False
        )
        compositor = self.screen._compositor
        console.print(compositor.render_update(full=True))
        text = console.export_text().replace(UPPER_HALF, " ")  # pixels are not text
        rows = [row.ljust(width) for row in text.splitlines()]
        for widget, (region, _clip) in compositor.visible_widgets.items():
            for row, words in getattr(widget, "alt_text", {}).items():
                y, words = region.y + row, self.air.text(words)[: region.width]
                if 0 <= y < len(rows):
                    x = region.x + (region.width - len(words)) // 2
                    rows[y] = rows[y][:x] + words + rows[y][x + len(words) :]
        lines: list[str] = []
        for line in rows:
            line = self.air.text(line).rstrip()
            if line or (lines and lines[-1]):  # no run of blank lines
                lines.append(line)
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines) + "\n"

    # -- commands ----------------------------------------------------------------------

    def _deliver(self, commands: list[Any]) -> None:
        self.post_message(KioskCommands(commands))

    @on(KioskCommands)
    async def _on_commands(self, message: KioskCommands) -> None:
        for command in message.commands:
            await self.apply(command)

    async def apply(self, command: Any) -> None:
        """Carry out one control command (tests call it directly for snapshots)."""
        if isinstance(command, SwitchScene):
            self.chosen_scene = command.scene
            await self.show_scene(command.scene)
        elif isinstance(command, PushSlides):
            self.filler.slides = list(command.slides)
            await self.deck.play(list(command.slides), loop=command.loop)
            if command.show:
                self.chosen_scene = "slides"
                await self.show_scene("slides")
        elif isinstance(command, PollResults):
            self.deck.set_poll_results(tuple(command.results))
        elif isinstance(command, ShowMessage):
            self.query_one("#message", TimedBanner).show(command.text, command.seconds)
        elif isinstance(command, Caption):
            self.query_one("#caption", TimedBanner).show(
                command.text, CAPTION_SECONDS, label=" ♪ SAYS   "
            )
        elif isinstance(command, ChatMessage):
            self.state.chat_messages += 1
            self.chat.add(ChatEntry(command.author, command.text, command.first_time))
            await self.activity()
        elif isinstance(command, Alert):
            self._alert(command)
            await self.activity()
        elif isinstance(command, TickerUpdate):
            self.state.apply(command, self.config.clock.now())
            self.query_one("#ticker", TickerBar).changed()
        elif isinstance(command, SecretFingerprints):
            self.air.learn(command)
            self.remask()
            self.start_log()
        elif isinstance(command, Quit):
            self.exit()

    def _alert(self, alert: Alert) -> None:
        who = alert.who
        text = alert_text(alert.kind, who, alert.amount, alert.detail)
        self.chat.add(ChatEntry(who, text, alert=alert.kind))
        label = f" {ALERT_ICONS[alert.kind]} {alert.kind.upper()}   "
        self.query_one("#alert", TimedBanner).show(text, self.config.alert_seconds, label=label)

    def remask(self) -> None:
        """Redraw everything on air through the filter, which has just learnt new secrets."""
        self.terminal.remask()
        self.chat.remask()
        for banner in self.query(TimedBanner):
            banner.remask()
        for widget in self.query("PictureSlide"):
            widget.invalidate()  # type: ignore[attr-defined]
        self.refresh(repaint=True)
        for widget in self.query("*"):
            widget.refresh()

    def action_scene(self, scene: str) -> None:
        self.chosen_scene = scene
        self.run_worker(self.show_scene(scene), group="scene", exclusive=True)

    # -- scenes and dead air -----------------------------------------------------------

    async def show_scene(self, scene: str, *, automatic: bool = False) -> None:
        if scene in ("terminal", "chat") and not self.terminal_shown:
            scene = "opening"  # nothing from the agent yet: the opening card stays
        previous = self.scene
        self.scene = scene
        switcher = self.query_one("#scenes", ContentSwitcher)
        switcher.current = "terminal" if scene == "chat" else scene
        self.chat.set_class(scene != "chat", "hidden")
        self.deck.set_on_air(scene == "slides")
        if scene == "opening":
            self.opening.start()
        else:
            self.opening.stop()
        if scene == "filler" and previous != "filler":
            await self.filler.start()
        elif scene != "filler":
            self.filler.stop()
        if scene != previous:
            self.post_message(SceneChanged(scene, automatic))

    @on(SlideDeck.SlideShown)
    def _slide_shown(self) -> None:
        """A playlist that is still moving is not dead air."""
        self.last_activity = self.config.clock.now()

    async def activity(self) -> None:
        """New terminal output or chat: the air is alive again."""
        self.last_activity = self.config.clock.now()
        if self.scene == "filler" and self.chosen_scene != "filler":
            await self.show_scene(self.chosen_scene, automatic=True)

    async def check_air(self) -> None:
        """Put the filler on when the terminal and chat have been quiet too long."""
        idle = self.config.idle_seconds
        if idle <= 0 or self.scene in ("filler", "opening"):
            return
        if self.config.clock.now() - self.last_activity >= idle:
            await self.show_scene("filler", automatic=True)


def run(config: KioskConfig) -> None:
    KioskApp(config).run()


__all__ = ["KioskApp", "run"]
