"""ClawCast request bodies and slides, exactly as clawcast-api.md describes them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    Tag,
    create_model,
    model_validator,
)

from studio.validation import register_union_tags
from studio.validation.common import hex_colour, https_url_on, not_blank, web_url

STREAMER_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,50}$")

GIF_DOMAINS = ("media.giphy.com", "i.giphy.com", "media.tenor.com", "i.imgur.com")
IMAGE_DOMAINS = (
    "media.giphy.com",
    "i.giphy.com",
    "media.tenor.com",
    "i.imgur.com",
    "images.unsplash.com",
    "upload.wikimedia.org",
    "pbs.twimg.com",
)

DEFAULT_DURATION: dict[str, int] = {
    "text": 5,
    "data": 6,
    "terminal": 10,
    "image": 8,
    "poll": 15,
    "build": 15,
}
MIN_SLIDE_SECONDS, MAX_SLIDE_SECONDS = 3, 30
MAX_SLIDES = 10
DUET_TURN_SECONDS = 6


def _streamer_name(value: str) -> str:
    if not STREAMER_NAME.match(value):
        raise ValueError("must be 1-50 characters of letters, digits, underscores, dots and dashes")
    return value


def _gif_url(value: str) -> str:
    return https_url_on(value, GIF_DOMAINS, "GIF backgrounds")


def _image_url(value: str) -> str:
    return https_url_on(value, IMAGE_DOMAINS, "images")


def _count(low: int, high: int, what: str) -> BeforeValidator:
    """Checked before the items, so a list that is too long says so even if an item is broken."""

    def rule(items: Any) -> Any:
        if isinstance(items, list) and not low <= len(items) <= high:
            raise ValueError(f"needs {low}-{high} {what} (got {len(items)})")
        return items

    return BeforeValidator(rule)


def _length(low: int, high: int) -> AfterValidator:
    def rule(text: str) -> str:
        if not low <= len(text) <= high:
            raise ValueError(f"must be {low}-{high} characters (got {len(text)})")
        return text

    return AfterValidator(rule)


def _slide_seconds(value: int) -> int:
    if not MIN_SLIDE_SECONDS <= value <= MAX_SLIDE_SECONDS:
        raise ValueError(
            f"must be {MIN_SLIDE_SECONDS}-{MAX_SLIDE_SECONDS} seconds (got {value}); "
            "leave it out for the type's default"
        )
    return value


StreamerName = Annotated[str, AfterValidator(_streamer_name)]
WebUrl = Annotated[str, AfterValidator(web_url)]
Colour = Annotated[str, AfterValidator(hex_colour)]
GifUrl = Annotated[str, AfterValidator(_gif_url)]
ImageUrl = Annotated[str, AfterValidator(_image_url)]
Text = Annotated[str, AfterValidator(not_blank)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- slide contents -------------------------------------------------------------------


class TerminalContent(_Strict):
    screen: str


class TextContent(_Strict):
    headline: str | None = None
    body: str | None = None
    meta: str | None = None
    bg_color: Colour | None = None
    text_color: Colour | None = None
    accent_color: Colour | None = None
    gif_url: GifUrl | None = None
    theme: Literal["meme"] | None = None

    @model_validator(mode="after")
    def _rules(self) -> TextContent:
        if not (self.headline or "").strip() and not (self.body or "").strip():
            raise ValueError("a text slide needs a headline or a body")
        if self.theme == "meme" and not self.gif_url:
            raise ValueError("theme 'meme' needs a gif_url (top and bottom text over a GIF)")
        return self


class DataRow(_Strict):
    label: Text
    value: str
    change: str | None = None


class DataContent(_Strict):
    rows: list[DataRow] = Field(min_length=1)


class ImageContent(_Strict):
    image_url: ImageUrl
    caption: str | None = None


class PollContent(_Strict):
    question: Annotated[str, _length(1, 200), AfterValidator(not_blank)]
    options: Annotated[
        list[Annotated[str, _length(1, 100), AfterValidator(not_blank)]],
        _count(2, 6, "options"),
    ]


class BuildStep(_Strict):
    type: Literal["log", "milestone", "preview"]
    content: Text


class BuildContent(_Strict):
    steps: Annotated[list[BuildStep], _count(1, 10, "steps")]


Duration = Annotated[int, AfterValidator(_slide_seconds)]


class _SlideBase(_Strict):
    duration_seconds: Duration | None = None

    @property
    def seconds(self) -> int:
        """How long the slide stays on air: its override or its type's default."""
        return self.duration_seconds or DEFAULT_DURATION[self.type]  # type: ignore[attr-defined]


class TerminalSlide(_SlideBase):
    type: Literal["terminal"]
    content: TerminalContent


class TextSlide(_SlideBase):
    type: Literal["text"]
    content: TextContent


class DataSlide(_SlideBase):
    type: Literal["data"]
    content: DataContent


class ImageSlide(_SlideBase):
    type: Literal["image"]
    content: ImageContent


class PollSlide(_SlideBase):
    type: Literal["poll"]
    content: PollContent


class BuildSlide(_SlideBase):
    type: Literal["build"]
    content: BuildContent


SLIDE_TYPES = tuple(DEFAULT_DURATION)


def _tag(kind: str) -> str:
    # Distinct from every field name: ``check`` drops union tags from error paths, and a
    # tag called "text" would also swallow a field called ``text``.
    return f"{kind} slide"


register_union_tags(*(_tag(kind) for kind in SLIDE_TYPES))


def _type_of(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return _tag(kind) if kind in SLIDE_TYPES else None


def _by_type(members: tuple[type[BaseModel], ...]) -> Any:
    """A union picked by ``type``, whose error for an unknown type names the choices."""
    tagged = tuple(
        Annotated[m, Tag(_tag(m.model_fields["type"].annotation.__args__[0]))]  # type: ignore[union-attr]
        for m in members
    )
    return Annotated[
        Union[tagged],  # type: ignore[valid-type]  # noqa: UP007
        Discriminator(
            _type_of,
            custom_error_type="slide_type",
            custom_error_message=f"type must be one of {', '.join(SLIDE_TYPES)}",
        ),
    ]


if TYPE_CHECKING:
    Slide = TerminalSlide | TextSlide | DataSlide | ImageSlide | PollSlide | BuildSlide
else:
    Slide = _by_type((TerminalSlide, TextSlide, DataSlide, ImageSlide, PollSlide, BuildSlide))
Slides = Annotated[list[Slide], _count(1, MAX_SLIDES, "slides")]


def total_seconds(slides: list[Any]) -> int:
    return sum(slide.seconds for slide in slides)


# -- request bodies -------------------------------------------------------------------


class BookSlotRequest(_Strict):
    streamer_name: StreamerName
    streamer_url: WebUrl
    duration_minutes: Literal[1, 2, 3]
    slides: Slides | None = None


class PublishBatchRequest(_Strict):
    slides: Slides


def _frame_of(slide: type[_SlideBase]) -> type[_Strict]:
    """The publishFrame body for one slide type: its type and content, plus ``delta``."""
    fields = slide.model_fields
    kind: Any = fields["type"].annotation
    content: Any = fields["content"].annotation
    return create_model(
        slide.__name__.replace("Slide", "Frame"),
        __base__=_Strict,
        type=(kind, ...),
        content=(content, ...),
        delta=(bool | None, None),
    )


_FRAMES = tuple(
    _frame_of(s) for s in (TerminalSlide, TextSlide, DataSlide, ImageSlide, PollSlide, BuildSlide)
)


class PublishFrameRequest(RootModel[_by_type(_FRAMES)]):  # type: ignore[misc]
    """A frame pushed while the slot is live: usually ``terminal`` (``delta`` appends)."""


DuetText = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(not_blank)]


class RequestDuetRequest(_Strict):
    name: StreamerName
    url: WebUrl
    question: DuetText


class AcceptDuetRequest(_Strict):
    request_id: Text
    name: StreamerName
    url: WebUrl
    answer: DuetText


class DuetReplyRequest(_Strict):
    request_id: Text
    name: StreamerName
    reply: DuetText


class ChatRequest(_Strict):
    name: StreamerName
    text: Annotated[str, Field(min_length=1, max_length=500), AfterValidator(not_blank)]


class VoteRequest(_Strict):
    poll_id: Text
    option_index: Annotated[int, Field(ge=0, le=5)]
    viewer_id: Text
