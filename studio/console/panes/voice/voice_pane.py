"""Voice: what the agent says on air, its music, the volumes and mute, the alert sounds.

Every action is a control API command (``say``, ``music``, ``volume``, ``mute``,
``audio.status``); what is being said and played comes from the ``audio.*`` events in
the model. Nothing here touches the sound server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Static

from studio.audio.playback import MAX_VOLUME, TARGETS
from studio.audio.speech import MAX_CHARS, speakable
from studio.console.client import Command
from studio.console.colours import palette
from studio.console.model import Topic
from studio.console.panes.pane import Pane
from studio.errors import ValidationFailed

if TYPE_CHECKING:
    from studio.console.app import ConsoleApp

VOLUME_STEP = 10


def say_problem(text: str) -> str | None:
    """The core's rule for a spoken line (``speakable``), or None when it would be spoken."""
    try:
        speakable(text)
    except ValidationFailed as exc:
        return "; ".join(f"{p.field}: {p.rule}" for p in exc.problems)
    return None


class VoicePane(Pane):
    topics: ClassVar[frozenset[Topic]] = frozenset({"audio"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+u", "refresh", "Refresh", priority=True, id="voice.refresh",
                tooltip="Ask the service for the sound's state again."),
        Binding("ctrl+x", "toggle_mute", "Mute", priority=True, id="voice.mute",
                tooltip="Mute the stream's sound (the track carries silence), or unmute it."),
        Binding("ctrl+n", "skip", "Next track", priority=True, id="voice.skip",
                tooltip="Skip to the next track of the playlist."),
        Binding("ctrl+e", "stop_music", "Stop music", priority=True, id="voice.stop_music",
                tooltip="Stop the music (speech and alert sounds go on)."),
    ]  # fmt: skip

    @property
    def console(self) -> ConsoleApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="voice-body"):
            yield Label(f"Say on air (Enter speaks it; at most {MAX_CHARS} characters)",
                        classes="voice-title")  # fmt: skip
            yield Input(placeholder="What the agent says to viewers", id="say")
            yield Label("", id="say-problem", classes="field-problem hidden")
            yield Static(id="speech")
            yield Label("Music", classes="voice-title")
            with Horizontal(id="music-row"):
                yield Input(
                    placeholder="A file or a folder, as the studio sees it", id="music-path"
                )
                yield Checkbox("Loop", id="music-loop", compact=True)
                yield Button("Play", id="music-play", variant="primary", compact=True)
                yield Button("Next ^N", id="music-skip", compact=True)
                yield Button("Stop ^E", id="music-stop", compact=True)
            yield Static(id="now-playing")
            yield Label("Volumes", classes="voice-title")
            for target in TARGETS:
                with Horizontal(classes="volume-row"):
                    yield Label(target, classes="volume-name")
                    yield Label("—", id=f"volume-{target}", classes="volume-value")
                    yield Button("−", id=f"down-{target}", classes="volume-down", compact=True)
                    yield Button("+", id=f"up-{target}", classes="volume-up", compact=True)
            yield Button("Mute ^X", id="mute", variant="warning", compact=True)
            yield Static(id="alert-sounds")

    def focus_first(self) -> None:
        self.query_one("#say", Input).focus()

    # -- drawing -------------------------------------------------------------------------

    def update_from_model(self, topics: set[Topic]) -> None:
        audio = self.model.audio
        v = palette(self.app)
        muted_style = v.get("text-muted", "")
        speech = Text()
        if audio.available is False:
            speech.append(f"No sound: {audio.refusal}\n", style=v.get("warning", ""))
        if audio.speaking is not None:
            speech.append("Speaking now: ", style="bold")
            speech.append(f"“{audio.speaking[1]}”", style=v.get("success", ""))
        else:
            speech.append("Nothing is being said.", style=muted_style)
        for n, text in sorted(audio.waiting.items()):
            speech.append(f"\n  waiting #{n}: {text}")
        self.query_one("#speech", Static).update(speech)
        playing = Text()
        if audio.track is not None:
            t = audio.track
            loop = " (looped)" if audio.music and audio.music.get("loop") else ""
            playing.append(f"▶ {t.title}", style="bold")
            playing.append(f" · track {t.position} of {t.tracks}{loop}")
        else:
            playing.append("No music.", style=muted_style)
        self.query_one("#now-playing", Static).update(playing)
        for target in TARGETS:
            value = audio.volumes.get(target)
            self.query_one(f"#volume-{target}", Label).update(
                "—" if value is None else f"{value} %"
            )
        mute = self.query_one("#mute", Button)
        mute.label = "Unmute ^X" if audio.muted else "Mute ^X"
        mute.variant = "error" if audio.muted else "warning"
        self.query_one("#alert-sounds", Static).update(self._alert_sounds(muted_style))

    def _alert_sounds(self, muted_style: str) -> Table | Text:
        audio = self.model.audio
        if not audio.alert_sounds and not audio.sounds:
            return Text("No alert sounds configured.", style=muted_style)
        table = Table(box=None, padding=(0, 1), title="Alert sounds", title_justify="left",
                      title_style="bold", show_header=False)  # fmt: skip
        table.add_column(no_wrap=True)
        table.add_column()
        for alert, sound in sorted(audio.alert_sounds.items()):
            table.add_row(alert, sound)
        for played in audio.sounds:
            table.add_row(Text("played", style=muted_style), f"{played.alert}: {played.title}")
        return table

    def reset(self) -> None:
        """A fresh attach: the state comes again from the service (when shown)."""
        if self.is_on_screen:
            self.fetch()

    # -- the service ---------------------------------------------------------------------

    @work(exclusive=True, group="voice-status")
    async def fetch(self) -> None:
        response = await self.console.request(Command("audio.status"), quiet=True)
        if response is None:
            return
        if response.ok:
            if isinstance(response.data, dict):
                self.model.set_audio_status(response.data)
        else:
            self.model.set_audio_status(None, response.comment)
        self.update_from_model({"audio"})

    def _send(self, verb: str, args: dict[str, object] | None = None, success: str = "") -> None:
        self._run(Command(verb, args or {}), success)

    @work(group="voice-commands")
    async def _run(self, command: Command, success: str) -> None:
        response = await self.console.request(command, success)
        if response is not None and response.ok and command.verb == "say":
            self.query_one("#say", Input).clear()

    # -- say -----------------------------------------------------------------------------

    @on(Input.Changed, "#say")
    def _check_say(self, event: Input.Changed) -> None:
        problem = say_problem(event.value) if event.value else None
        label = self.query_one("#say-problem", Label)
        label.update(problem or "")
        label.set_class(problem is None, "hidden")
        event.input.set_class(problem is not None, "-invalid")

    @on(Input.Submitted, "#say")
    def _say(self, event: Input.Submitted) -> None:
        event.stop()
        if say_problem(event.value) is None:
            self._send("say", {"text": event.value})

    # -- music, volumes, mute ------------------------------------------------------------

    @on(Input.Submitted, "#music-path")
    def _play_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._play()

    def _play(self) -> None:
        path = self.query_one("#music-path", Input).value.strip()
        if not path:
            self.notify("Give a file or a folder to play.", severity="warning", timeout=4)
            return
        loop = self.query_one("#music-loop", Checkbox).value
        self._send("music", {"action": "play", "path": path, "loop": loop})

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button.id or ""
        event.stop()
        if button == "music-play":
            self._play()
        elif button == "music-skip":
            self.action_skip()
        elif button == "music-stop":
            self.action_stop_music()
        elif button == "mute":
            self.action_toggle_mute()
        elif button.startswith(("up-", "down-")):
            direction, target = button.split("-", 1)
            now = self.model.audio.volumes.get(target, 100)
            step = VOLUME_STEP if direction == "up" else -VOLUME_STEP
            percent = max(0, min(MAX_VOLUME, now + step))
            self._send("volume", {"target": target, "percent": percent})

    def action_refresh(self) -> None:
        self.fetch()

    def action_toggle_mute(self) -> None:
        self._send("mute", {"muted": not self.model.audio.muted})

    def action_skip(self) -> None:
        self._send("music", {"action": "skip"})

    def action_stop_music(self) -> None:
        self._send("music", {"action": "stop"})
