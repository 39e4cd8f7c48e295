"""Account: the retake.tv account behind the agent (the document's section 6).

Profile (read; change bio, username, picture, banner, token name), following (list,
check, follow, unfollow) and the session-owner controls (start, end, update, delete,
muted users). Each is a control API command (``retake.profile``, ``retake.profile.set``,
``retake.following``, ``retake.follow``, ``retake.unfollow``, ``retake.session.*``);
the service holds the Privy user JWT and sends it through the core's ``RetakeAccount``.
The console never sees the JWT. Every field is checked as typed by the shared rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from studio.console.client import Command
from studio.console.colours import palette
from studio.console.model import Topic
from studio.console.panes.account.account_fields import (
    PROFILE_FIELDS,
    SESSION_FIELDS,
    profile_problems,
    session_problems,
    tags_of,
)
from studio.console.panes.pane import Pane

if TYPE_CHECKING:
    from studio.console.app import ConsoleApp

PROFILE_ROWS = (
    ("username", "username"), ("user id", "user_id"), ("bio", "bio"),
    ("token name", "token_name"), ("ticker", "ticker"), ("token", "token_address"),
    ("picture", "profile_picture_url"), ("banner", "banner_url"),
    ("followers", "followers"), ("following", "following"),
)  # fmt: skip
SESSION_BUTTONS = (
    ("start", "Start", "success"), ("update", "Update", "primary"), ("end", "End", "warning"),
    ("muted", "Muted users", "default"), ("delete", "Delete", "error"),
)  # fmt: skip


class AccountPane(Pane):
    topics: ClassVar[frozenset[Topic]] = frozenset()
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+u", "refresh", "Refresh", priority=True, id="account.refresh",
                tooltip="Read the profile and who it follows again."),
    ]  # fmt: skip

    def __init__(self, model, *, id: str | None = None) -> None:  # noqa: ANN001
        super().__init__(model, id=id)
        self.profile: dict[str, Any] | None = None
        self.following: list[dict[str, Any]] | None = None
        self.refusal = ""
        """Why the account cannot be read (no JWT, the platform refused), as the service said."""
        self.session_text: Text | Table = Text("")
        self._delete_armed: str | None = None

    @property
    def console(self) -> ConsoleApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="account-body"):
            yield Static(id="profile")
            yield Label("Change the profile (only the fields you fill in)", classes="account-title")
            for name, hint in PROFILE_FIELDS.items():
                yield Input(placeholder=hint, id=f"acc-{name}", classes="profile-field")
                yield Label("", id=f"acc-{name}-problem", classes="field-problem hidden")
            yield Button("Save profile", id="profile-save", variant="primary", compact=True,
                         disabled=True)  # fmt: skip
            yield Label("Following", classes="account-title")
            yield Static(id="following")
            with Horizontal(id="follow-row"):
                yield Input(placeholder="An agent: username or userDbId", id="follow-target")
                yield Button("Check", id="follow-check", compact=True)
                yield Button("Follow", id="follow", variant="success", compact=True)
                yield Button("Unfollow", id="unfollow", variant="warning", compact=True)
            yield Label("Session (you own it)", classes="account-title")
            for name, hint in SESSION_FIELDS.items():
                yield Input(placeholder=hint, id=f"sess-{name}", classes="session-field")
                yield Label("", id=f"sess-{name}-problem", classes="field-problem hidden")
            with Horizontal(id="session-buttons"):
                for key, title, variant in SESSION_BUTTONS:
                    yield Button(title, id=f"session-{key}", variant=variant, compact=True)  # type: ignore[arg-type]
            yield Static(id="session")

    def on_mount(self) -> None:
        super().on_mount()
        self._check_session()

    def focus_first(self) -> None:
        self.query_one("#acc-bio", Input).focus()

    # -- drawing -------------------------------------------------------------------------

    def update_from_model(self, topics: set[Topic]) -> None:
        self._draw()

    def _draw(self) -> None:
        v = palette(self.app)
        muted = v.get("text-muted", "")
        if self.refusal:
            profile: Table | Text = Text(self.refusal, style=v.get("warning", ""))
        elif self.profile is None:
            profile = Text("The profile is read when this pane opens (Ctrl+U reads it again).",
                           style=muted)  # fmt: skip
        else:
            profile = Table(box=None, padding=(0, 1), show_header=False, title="retake.tv profile",
                            title_justify="left", title_style="bold")  # fmt: skip
            profile.add_column(no_wrap=True, style=muted)
            profile.add_column()
            for label, key in PROFILE_ROWS:
                value = self.profile.get(key)
                if value not in (None, ""):
                    profile.add_row(label, str(value))
        self.query_one("#profile", Static).update(profile)
        if self.following is None:
            following: Table | Text = Text("—", style=muted)
        elif not self.following:
            following = Text("Following nobody yet.", style=muted)
        else:
            following = Table(box=None, padding=(0, 1), show_header=False)
            following.add_column(no_wrap=True)
            following.add_column(style=muted)
            for row in self.following:
                following.add_row(str(row.get("username") or "?"), str(row.get("user_id") or ""))
        self.query_one("#following", Static).update(following)
        self.query_one("#session", Static).update(self.session_text)

    # -- the service ---------------------------------------------------------------------

    @work(exclusive=True, group="account-read")
    async def fetch(self) -> None:
        """The profile and who it follows; a refusal (no JWT) is shown in the pane."""
        response = await self.console.request(Command("retake.profile"), quiet=True)
        if response is None:
            return
        if not response.ok:
            self.refusal = response.comment
            self._draw()
            return
        self.refusal, self.profile = "", dict(response.data or {})
        listed = await self.console.request(Command("retake.following"), quiet=True)
        if listed is not None and listed.ok:
            self.following = list(listed.data or [])
        self._draw()

    @work(group="account-commands")
    async def _run(self, command: Command) -> None:
        response = await self.console.request(command)
        if response is None or not response.ok:
            return
        data = response.data
        verb = command.verb
        if verb == "retake.profile.set":
            self.profile = dict(data or {})
            for name in PROFILE_FIELDS:
                self.query_one(f"#acc-{name}", Input).clear()
        elif verb in ("retake.follow", "retake.unfollow"):
            listed = await self.console.request(Command("retake.following"), quiet=True)
            if listed is not None and listed.ok:
                self.following = list(listed.data or [])
        elif verb == "retake.following":
            self.session_text = Text(response.comment)
        elif verb.startswith("retake.session."):
            self.session_text = self._session(verb, data, response.comment)
            if verb == "retake.session.start" and isinstance(data, dict):
                self.query_one("#sess-session_id", Input).value = str(data.get("session_id") or "")
        self._draw()

    def _session(self, verb: str, data: Any, comment: str) -> Text | Table:
        if verb == "retake.session.muted":
            rows = (data or {}).get("muted") or []
            table = Table(box=None, padding=(0, 1), title=comment, title_justify="left",
                          show_header=False)  # fmt: skip
            for row in rows:
                table.add_row(str(row.get("username") or "?"), str(row.get("muted_at") or ""))
            return table
        if isinstance(data, dict) and data.get("title") is not None:
            tags = ", ".join(data.get("tags") or []) or "no tags"
            return Text(f"{comment}: {data.get('title')} [{data.get('category')}] {tags}")
        return Text(comment)

    # -- the profile form ----------------------------------------------------------------

    def profile_values(self) -> dict[str, str]:
        return {n: self.query_one(f"#acc-{n}", Input).value.strip() for n in PROFILE_FIELDS}

    @on(Input.Changed, ".profile-field")
    def _check_profile(self) -> None:
        values = self.profile_values()
        problems = profile_problems(values)
        for name in PROFILE_FIELDS:
            self._show_problem(f"acc-{name}", problems.get(name))
        self.query_one("#profile-save", Button).disabled = bool(problems) or not any(
            values.values()
        )

    def _show_problem(self, field_id: str, problem: str | None) -> None:
        label = self.query_one(f"#{field_id}-problem", Label)
        label.update(problem or "")
        label.set_class(not problem, "hidden")
        self.query_one(f"#{field_id}", Input).set_class(problem is not None, "-invalid")

    # -- following and sessions ------------------------------------------------------------

    def session_values(self) -> dict[str, str]:
        return {n: self.query_one(f"#sess-{n}", Input).value.strip() for n in SESSION_FIELDS}

    @on(Input.Changed, ".session-field")
    def _check_session(self) -> None:
        values = self.session_values()
        start = session_problems(values, start=True)
        update = session_problems(values, start=False)
        for name in ("title", "category", "tags"):
            self._show_problem(f"sess-{name}", start.get(name) if values[name] else None)
        self.query_one("#session-start", Button).disabled = bool(start)
        self.query_one("#session-update", Button).disabled = bool(update)
        self.query_one("#session-delete", Button).disabled = not values["session_id"]
        if values["session_id"] != self._delete_armed:
            self._delete_armed = None
            self.query_one("#session-delete", Button).label = "Delete"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button.id or ""
        event.stop()
        target = self.query_one("#follow-target", Input).value.strip()
        values = self.session_values()
        sid = {"session_id": values["session_id"]} if values["session_id"] else {}
        if button == "profile-save":
            filled = {k: v for k, v in self.profile_values().items() if v}
            if filled and not profile_problems(filled):
                self._run(Command("retake.profile.set", filled))
        elif button in ("follow", "unfollow", "follow-check"):
            if not target:
                self.notify("Name an agent first.", severity="warning", timeout=4)
            elif button == "follow-check":
                self._run(Command("retake.following", {"username": target}))
            else:
                self._run(Command(f"retake.{button}", {"target": target}))
        elif button == "session-start":
            self._run(Command("retake.session.start", {
                "title": values["title"], "category": values["category"],
                "tags": tags_of(values["tags"])}))  # fmt: skip
        elif button == "session-update":
            changes: dict[str, Any] = {k: values[k] for k in ("title", "category") if values[k]}
            if values["tags"]:
                changes["tags"] = tags_of(values["tags"])
            self._run(Command("retake.session.update", {**sid, **changes}))
        elif button == "session-end":
            self._run(Command("retake.session.end", sid))
        elif button == "session-muted":
            self._run(Command("retake.session.muted", sid))
        elif button == "session-delete":
            self._delete(values["session_id"], event.button)

    def _delete(self, session_id: str, button: Button) -> None:
        """Deleting takes a second press: the recording's listing goes with it."""
        if self._delete_armed != session_id:
            self._delete_armed = session_id
            button.label = "Really delete?"
            self.notify(f"Press Delete again to delete session {session_id}.", timeout=5)
            return
        self._delete_armed = None
        button.label = "Delete"
        self._run(Command("retake.session.delete", {"session_id": session_id}))

    def action_refresh(self) -> None:
        self.fetch()
