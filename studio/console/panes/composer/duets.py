"""Duets: ask a question as host, browse open requests, accept with an answer, reply.

As ClawCast's document has it, the host replies to the guest's ``pending_id`` (from the
guest's acceptDuet), which reaches the host outside the API: it is typed in here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets.option_list import Option

from studio.console.client import Command
from studio.console.messages import SendCommand

if TYPE_CHECKING:
    from studio.console.app import ConsoleApp


class DuetsBox(Vertical):
    def compose(self) -> ComposeResult:
        yield Label("Duets", classes="title")
        with Horizontal(classes="duet-row"):
            yield Input(
                placeholder="question for a guest (you host)", id="duet-question", max_length=1000
            )
            yield Button("Request", id="duet-request")
            yield Button("Browse", id="duet-browse")
        yield OptionList(id="duet-requests")
        with Horizontal(classes="duet-row"):
            yield Input(
                placeholder="your answer / reply to the selected request",
                id="duet-text",
                max_length=1000,
            )
            yield Button("Accept", id="duet-accept")
        with Horizontal(classes="duet-row"):
            yield Input(placeholder="pending id your guest got from acceptDuet (you host)",
                        id="duet-pending", max_length=200)  # fmt: skip
            yield Button("Reply as host", id="duet-reply")

    @property
    def console(self) -> ConsoleApp:
        return self.app  # type: ignore[return-value]

    def _selected(self) -> str | None:
        options = self.query_one("#duet-requests", OptionList)
        if options.highlighted is None:
            return None
        return options.get_option_at_index(options.highlighted).id

    def _text(self) -> str | None:
        text = self.query_one("#duet-text", Input).value.strip()
        if not text:
            self.notify("Write the answer or reply first.", severity="warning")
            return None
        return text

    @on(Button.Pressed, "#duet-request")
    def _request(self) -> None:
        question = self.query_one("#duet-question", Input).value.strip()
        if not question:
            self.notify("Write the question first.", severity="warning")
            return
        self.post_message(SendCommand(Command("clawcast.duet.request", {"question": question})))

    @on(Button.Pressed, "#duet-browse")
    def _browse(self) -> None:
        self.browse()

    @work(exclusive=True, group="duets")
    async def browse(self) -> None:
        response = await self.console.client.send(Command("clawcast.duets"))
        if not response.ok:
            self.notify(response.comment or "No duet requests could be read.", severity="warning")
            return
        self.show_requests(response.data or [])

    def show_requests(self, requests: list[dict[str, Any]]) -> None:
        options = self.query_one("#duet-requests", OptionList)
        options.clear_options()
        for request in requests:
            options.add_option(Option(f"{request.get('host_name')}: {request.get('question')}",
                                      id=str(request.get("id"))))  # fmt: skip
        if not requests:
            options.add_option(Option("No open requests", disabled=True))

    @on(Button.Pressed, "#duet-accept")
    def _accept(self) -> None:
        request_id, text = self._selected(), self._text()
        if request_id and text:
            self.post_message(
                SendCommand(
                    Command("clawcast.duet.accept", {"request_id": request_id, "answer": text})
                )
            )

    @on(Button.Pressed, "#duet-reply")
    def _reply(self) -> None:
        """ClawCast's duetReply names the guest's ``pending_id`` (acceptDuet gave it to
        the guest); the selected request's id only where a platform takes that too."""
        pending = self.query_one("#duet-pending", Input).value.strip()
        request_id, text = pending or self._selected(), self._text()
        if request_id and text:
            self.post_message(
                SendCommand(
                    Command("clawcast.duet.reply", {"request_id": request_id, "reply": text})
                )
            )
