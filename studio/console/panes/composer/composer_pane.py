"""Slide composer: a ClawCast playlist, each slide checked as you type and previewed by
the kiosk's own slide renderer; saved, loaded, booked with a slot or published as a
batch during your slot. Duets below."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, ListItem, ListView, Select, Static, TextArea

from studio.console.client import Command
from studio.console.messages import SendCommand
from studio.console.model import Topic
from studio.console.panes.composer.duets import DuetsBox
from studio.console.panes.pane import Pane
from studio.console.playlist import SLIDE_TYPES, Playlist, slide_problems
from studio.errors import StudioError
from studio.kiosk.air import AirFilter
from studio.kiosk.images.fetcher import HttpImageFetcher
from studio.kiosk.scenes.slides.slide_deck import SlideDeck
from studio.validation.clawcast import PublishBatchRequest

if TYPE_CHECKING:
    from studio.console.app import ConsoleApp


def _summary(slide: dict[str, Any]) -> str:
    content = slide.get("content") or {}
    for key in ("headline", "question", "caption", "body", "screen", "image_url"):
        if isinstance(content.get(key), str) and content[key].strip():
            return content[key].strip().splitlines()[0][:40]
    if content.get("rows"):
        return f"{len(content['rows'])} rows"
    if content.get("steps"):
        return f"{len(content['steps'])} steps"
    return ""


class _Clock:
    def __init__(self, app: ConsoleApp) -> None:
        self.app = app

    def now(self) -> float:
        return self.app.config.now()


class ComposerPane(Pane):
    """Its keys win over the editor's own (Ctrl+K, Ctrl+D, Ctrl+E, F7 edit text elsewhere)."""

    topics: ClassVar[frozenset[Topic]] = frozenset({"slides"})
    BINDINGS = [
        Binding("ctrl+n", "add_slide", "New slide", priority=True, id="composer.add",
                tooltip="Add a slide of the chosen type after the selected one."),
        Binding("ctrl+d", "delete_slide", "Delete", priority=True, id="composer.delete",
                tooltip="Delete the selected slide."),
        Binding("ctrl+k", "move(-1)", "Up", priority=True, id="composer.up", tooltip="Move the slide earlier."),
        Binding("ctrl+j", "move(1)", "Down", priority=True, id="composer.down", tooltip="Move the slide later."),
        Binding("ctrl+s", "save", "Save", priority=True, id="composer.save",
                tooltip="Save the playlist as a JSON file (the path in the file box)."),
        Binding("ctrl+o", "load", "Load", priority=True, id="composer.load",
                tooltip="Load a playlist JSON file (the path in the file box)."),
        Binding("ctrl+b", "book", "Book slot", priority=True, id="composer.book",
                tooltip="Book a ClawCast slot with these slides."),
        Binding("ctrl+e", "publish", "Publish", priority=True, id="composer.publish",
                tooltip="Publish these slides as a batch during your slot."),
        Binding("f7", "toggle_preview", "Preview", priority=True, id="composer.preview",
                tooltip="On small terminals: the preview instead of the editor, and back."),
    ]  # fmt: skip

    def __init__(self, model, *, id: str | None = None) -> None:  # noqa: ANN001
        super().__init__(model, id=id)
        self.playlist = Playlist()
        self.selected = -1
        self._loading_text = False
        self._labels: list[Label] = []
        """Each slide's line in the list, in order."""

    @property
    def console(self) -> ConsoleApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Horizontal(id="composer-top"):
            with Vertical(id="composer-list"):
                yield Label("Playlist", classes="title", id="playlist-title")
                yield ListView(id="slides")
                yield Select([(t, t) for t in SLIDE_TYPES], value="text", allow_blank=False,
                             id="slide-type")  # fmt: skip
                yield Input(value="playlist.json", placeholder="file", id="playlist-file")
                yield Select([(f"{m} min slot", m) for m in (1, 2, 3)], value=1,
                             allow_blank=False, id="slot-minutes")  # fmt: skip
            with Vertical(id="composer-editor"):
                yield Label("Slide (JSON)", classes="title")
                yield TextArea("", id="slide-json", show_line_numbers=False, tab_behavior="indent")
                yield Static("", id="slide-problems")
            with Vertical(id="composer-preview"):
                yield Label("Preview", classes="title")
                fetcher = self.console.config.fetcher or HttpImageFetcher()
                yield SlideDeck(air=AirFilter(), clock=_Clock(self.console), fetcher=fetcher,
                                frozen=True, id="preview")  # fmt: skip
                yield Static("", id="poll-live", classes="hidden")
        yield DuetsBox(id="duets")

    def update_from_model(self, topics: set[Topic]) -> None:
        """Live results of the poll on air, beside the preview and on it."""
        poll = next((s for s in self.model.slides_on_air if s.get("type") == "poll"), None)
        box = self.query_one("#poll-live", Static)
        box.set_class(poll is None, "hidden")
        if poll is None:
            return
        question = str((poll.get("content") or {}).get("question", ""))
        options = list((poll.get("content") or {}).get("options") or [])
        results = list(self.model.poll_results) + [0] * (
            len(options) - len(self.model.poll_results)
        )
        total = sum(results) or 1
        lines = [f"On air: {question}"] + [
            f"{option[:24]:<24} {votes:>4}  {'█' * round(20 * votes / total)}"
            for option, votes in zip(options, results, strict=False)
        ]
        box.update("\n".join(lines))
        current = (
            self.playlist.slides[self.selected]
            if 0 <= self.selected < len(self.playlist.slides)
            else None
        )
        live = self._live_results(current)
        if live is not None:
            self.query_one("#preview", SlideDeck).set_poll_results(live)

    def _live_results(self, slide: dict[str, Any] | None) -> tuple[int, ...] | None:
        """The votes of the poll on air, when ``slide`` is that poll."""
        if not slide or slide.get("type") != "poll":
            return None
        question = (slide.get("content") or {}).get("question")
        for on_air in self.model.slides_on_air:
            if (
                on_air.get("type") == "poll"
                and (on_air.get("content") or {}).get("question") == question
            ):
                return tuple(self.model.poll_results)
        return None

    # -- the list ------------------------------------------------------------------------

    def _relist(self) -> None:
        view = self.query_one("#slides", ListView)
        view.clear()
        self._labels = []
        for i, slide in enumerate(self.playlist.slides, start=1):
            bad = " ✗" if slide_problems(slide) else ""
            self._labels.append(Label(f"{i}. {slide.get('type')}  {_summary(slide)}{bad}"))
            view.append(ListItem(self._labels[-1]))
        if self.playlist.slides:
            view.index = max(0, self.selected)
        total = self.playlist.problems()
        seconds = sum(s.seconds for s in PublishBatchRequest.model_validate({"slides": self.playlist.slides}).slides) if not total and self.playlist.slides else None  # fmt: skip
        title = f"Playlist · {len(self.playlist.slides)} slides"
        self.query_one("#playlist-title", Label).update(
            title
            + (f" · {seconds} s" if seconds else " · not valid yet" if self.playlist.slides else "")
        )

    @on(ListView.Highlighted, "#slides")
    def _highlight(self, event: ListView.Highlighted) -> None:
        if event.list_view.index is not None and event.list_view.index != self.selected:
            self.select(event.list_view.index)

    def select(self, index: int) -> None:
        self.selected = index
        editor = self.query_one("#slide-json", TextArea)
        self._loading_text = True
        editor.text = json.dumps(self.playlist.slides[index], indent=2, ensure_ascii=False) if 0 <= index < len(self.playlist.slides) else ""  # fmt: skip
        self._loading_text = False
        self._check_and_preview()

    # -- editing -------------------------------------------------------------------------

    @on(TextArea.Changed, "#slide-json")
    def _edited(self) -> None:
        if self._loading_text or not (0 <= self.selected < len(self.playlist.slides)):
            return
        text = self.query_one("#slide-json", TextArea).text
        try:
            slide = json.loads(text)
        except json.JSONDecodeError as exc:
            self._show_problems({"(json)": f"line {exc.lineno} column {exc.colno}: {exc.msg}"})
            return
        self.playlist.slides[self.selected] = slide
        self._check_and_preview()
        label = self._labels[self.selected]  # kept: a list just rebuilt is not mounted yet
        bad = " ✗" if slide_problems(slide) else ""
        label.update(
            f"{self.selected + 1}. {slide.get('type') if isinstance(slide, dict) else '?'}  {_summary(slide) if isinstance(slide, dict) else ''}{bad}"
        )

    def _show_problems(self, problems: dict[str, str]) -> None:
        box = self.query_one("#slide-problems", Static)
        box.update("\n".join(f"✗ {field}: {rule}" for field, rule in problems.items()) or "✓ valid")
        box.set_class(bool(problems), "-invalid")

    def _check_and_preview(self) -> None:
        if not (0 <= self.selected < len(self.playlist.slides)):
            self._show_problems({})
            self.query_one("#slide-problems", Static).update(
                "Ctrl+N adds a slide of the chosen type."
            )
            self._preview(None)
            return
        slide = self.playlist.slides[self.selected]
        problems = slide_problems(slide)
        self._show_problems(problems)
        self._preview(None if problems else slide)

    @work(exclusive=True, group="preview")
    async def _preview(self, slide: dict[str, Any] | None) -> None:
        deck = self.query_one("#preview", SlideDeck)
        if slide is None:
            await deck.play([])
            return
        checked = PublishBatchRequest.model_validate({"slides": [slide]})
        await deck.play(list(checked.slides))
        results = self._live_results(slide)
        if results is not None:
            deck.set_poll_results(results)

    def action_toggle_preview(self) -> None:
        self.toggle_class("-preview")
        target = "#slides" if self.has_class("-preview") else "#slide-json"
        self.query_one(target).focus()

    def action_add_slide(self) -> None:
        kind = str(self.query_one("#slide-type", Select).value)
        try:
            index = self.playlist.add(kind, self.selected + 1 if self.playlist.slides else None)
        except ValueError as exc:
            self.notify(str(exc), severity="warning")
            return
        self.selected = index
        self._relist()
        self.select(index)

    def action_delete_slide(self) -> None:
        if 0 <= self.selected < len(self.playlist.slides):
            self.playlist.delete(self.selected)
            self.selected = min(self.selected, len(self.playlist.slides) - 1)
            self._relist()
            self.select(self.selected)

    def action_move(self, by: int) -> None:
        if 0 <= self.selected < len(self.playlist.slides):
            self.selected = self.playlist.move(self.selected, by)
            self._relist()

    def _path(self) -> Path:
        raw = self.query_one("#playlist-file", Input).value.strip() or "playlist.json"
        path = Path(raw).expanduser()
        return path if path.is_absolute() else self.console.config.playlist_dir / path

    def action_save(self) -> None:
        path = self._path()
        try:
            self.playlist.save(path)
        except (StudioError, OSError) as exc:
            self.notify(str(exc), title="Not saved", severity="error")
            return
        self.notify(f"Saved {len(self.playlist.slides)} slides to {path}")

    def action_load(self) -> None:
        path = self._path()
        try:
            self.playlist = Playlist.load(path)
        except (StudioError, OSError, ValueError) as exc:
            self.notify(str(exc), title="Not loaded", severity="error")
            return
        self.selected = 0 if self.playlist.slides else -1
        self._relist()
        self.select(self.selected)
        self.notify(f"Loaded {len(self.playlist.slides)} slides from {path.name}")

    def _valid_slides(self) -> list[dict[str, Any]] | None:
        problems = self.playlist.problems()
        if not self.playlist.slides:
            self.notify("The playlist is empty: Ctrl+N adds a slide.", severity="warning")
            return None
        if problems:
            first = next(iter(problems.items()))
            self.notify(f"{first[0]}: {first[1]}", title="Not sent: the playlist has problems",
                        severity="error")  # fmt: skip
            return None
        return list(self.playlist.slides)

    def action_book(self) -> None:
        slides = self._valid_slides()
        if slides is not None:
            minutes = int(self.query_one("#slot-minutes", Select).value)  # type: ignore[arg-type]
            self.post_message(
                SendCommand(
                    Command("clawcast.book", {"slides": slides, "duration_minutes": minutes})
                )
            )

    def action_publish(self) -> None:
        slides = self._valid_slides()
        if slides is not None:
            self.post_message(SendCommand(Command("clawcast.batch", {"slides": slides})))
