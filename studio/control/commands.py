"""Every command of the control API: a pydantic model of its arguments and a handler.

To add one, write its arguments model (``_Args``: unknown fields are refused) and an
``async`` handler taking the ``Runtime`` and the validated arguments, and register it
with ``@command("name", Args, "what it does")``. The server validates the request's
``args`` with the model (a 400 names each field and the rule), calls the handler and
answers with its ``Result``; platform errors become a 502 with the platform's reason,
``CommandRefused`` its own code. Nothing reaches a platform except through the core's
clients and legs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from studio.audio.playback import MAX_VOLUME
from studio.audio.speech import MAX_CHARS
from studio.control.runtime import CommandRefused, Runtime
from studio.errors import Problem, ValidationFailed
from studio.golive.events import ChatSent, DuetTurn, KioskBanner, KioskScene, SlidesOnAir
from studio.platforms.retake_account import active_session_id, follow_target
from studio.validation import check
from studio.validation.clawcast import ChatRequest, DuetText, Slides, Text
from studio.validation.retake import (
    BannerRequest,
    BioRequest,
    ChatSendRequest,
    SessionStartRequest,
    SessionUpdateRequest,
    TokenNameRequest,
    UsernameRequest,
    check_image_upload,
)

if TYPE_CHECKING:
    from studio.audio.desk import AudioDesk


@dataclass
class Result:
    comment: str = "done"
    data: Any = None
    code: int = 200


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


Handler = Callable[[Runtime, Any], Awaitable[Result]]


@dataclass(frozen=True)
class Command:
    name: str
    args: type[_Args]
    handler: Handler
    help: str


COMMANDS: dict[str, Command] = {}


def command(name: str, args: type[_Args], help: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        COMMANDS[name] = Command(name, args, handler, help)
        return handler

    return register


def describe() -> list[dict[str, Any]]:
    """Each command with its help and its arguments' JSON schema (``studio call --list``)."""
    return [
        {"command": c.name, "help": c.help, "args": c.args.model_json_schema()}
        for c in COMMANDS.values()
    ]


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


def _renamed(exc: ValidationFailed, names: dict[str, str], what: str) -> ValidationFailed:
    """Name the command's own fields in a platform rule's problems (message → text)."""
    problems = []
    for p in exc.problems:
        head, dot, rest = p.field.partition(".")
        problems.append(Problem(names.get(head, head) + dot + rest, p.rule))
    return ValidationFailed(problems, what=what)


# -- the broadcast ---------------------------------------------------------------------


class NoArgs(_Args):
    pass


@command("status", NoArgs, "The whole state now (what `welcome` carries).")
async def status(rt: Runtime, _: NoArgs) -> Result:
    return Result("the broadcast's state", rt.state.snapshot())


class AnswerArgs(_Args):
    need: Annotated[str, Field(min_length=1, max_length=80)]
    """The step's id (``tx_hash-1``) or its need (``tx_hash``, ``tweet_url``)."""
    value: Annotated[str, Field(max_length=2000)]


@command("answer", AnswerArgs, "Answer an operator step (by its id or its need).")
async def answer(rt: Runtime, args: AnswerArgs) -> Result:
    from studio.control.operator import NoSuchStep

    try:
        step = rt.operator.give(args.need, args.value)
    except NoSuchStep as exc:
        raise CommandRefused(404, str(exc)) from None
    except ValidationFailed as exc:
        raise _renamed(exc, {}, f"answer to {args.need}") from None
    return Result(f"answered {step}", {"id": step})


class StopArgs(_Args):
    reason: Annotated[str, Field(min_length=1, max_length=200)] = "stopped by the operator"


@command("stop", StopArgs, "End the broadcast cleanly: every platform session, then the encoder.")
async def stop(rt: Runtime, args: StopArgs) -> Result:
    rt.request_stop(args.reason)
    return Result("stopping: every platform session ends cleanly", code=202)


@command("reconnect", NoArgs, "Skip the watchdog's wait and reconnect every destination now.")
async def reconnect(rt: Runtime, _: NoArgs) -> Result:
    if rt.golive is None or rt.golive.pipeline is None:
        raise CommandRefused(409, "nothing to reconnect: the encoder is not running yet")
    rt.golive.reconnect_now()
    return Result("reconnecting now")


# -- chat --------------------------------------------------------------------------------


class ChatArgs(_Args):
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    to: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    """Another agent's retake.tv room, by its userDbId (default: your own)."""
    clawcast: bool = False
    """Send to ClawCast's chat instead of retake.tv."""

    @model_validator(mode="after")
    def _one_room(self) -> ChatArgs:
        if self.clawcast and self.to:
            raise ValueError("give either to (a retake.tv room) or clawcast, not both")
        return self


@command("chat.send", ChatArgs, "Chat in your retake.tv room, another agent's, or ClawCast's.")
async def chat_send(rt: Runtime, args: ChatArgs) -> Result:
    if args.clawcast:
        leg = rt.leg("clawcast")
        retake = rt.leg("retake")
        name = leg.body.streamer_name if leg is not None else getattr(retake, "agent_name", "")  # type: ignore[attr-defined]
        if not name:
            raise CommandRefused(409, "ClawCast chat needs a streamer name: go live on ClawCast")
        try:
            body = check(ChatRequest, {"name": name, "text": args.text}, what="ClawCast chat")
        except ValidationFailed as exc:
            raise _renamed(exc, {}, "ClawCast chat") from None
        await rt.clawcast().chat(body.name, body.text)
        rt.bus.publish(ChatSent(platform="clawcast", text=body.text))
        return Result("sent to ClawCast chat")
    client, own_room = rt.retake_agent()
    room = args.to or own_room
    try:
        check(
            ChatSendRequest,
            {"message": args.text, "destination_user_id": room},
            what="retake.tv chat",
        )
    except ValidationFailed as exc:
        raise _renamed(exc, {"message": "text", "destination_user_id": "to"}, "chat") from None
    await client.chat_send(args.text, room)
    rt.bus.publish(ChatSent(platform="retake", text=args.text, to=args.to))
    where = "your retake.tv room" if args.to is None else f"retake.tv room {args.to}"
    return Result(f"sent to {where}")


# -- the kiosk ---------------------------------------------------------------------------


def _require_kiosk(rt: Runtime) -> None:
    if not rt.has_kiosk:
        raise CommandRefused(409, "this broadcast has no kiosk (it was started with --no-kiosk)")


class SceneArgs(_Args):
    scene: Literal["terminal", "slides", "chat", "filler"]


@command("kiosk.scene", SceneArgs, "Switch what viewers see: terminal, slides, chat or filler.")
async def kiosk_scene(rt: Runtime, args: SceneArgs) -> Result:
    _require_kiosk(rt)
    rt.bus.publish(KioskScene(scene=args.scene))
    return Result(f"on air: {args.scene}")


class MessageArgs(_Args):
    text: Annotated[str, Field(max_length=500)]
    seconds: Annotated[float, Field(gt=0, le=3600)] | None = None


@command("kiosk.message", MessageArgs, "A banner across the picture; an empty text removes it.")
async def kiosk_message(rt: Runtime, args: MessageArgs) -> Result:
    _require_kiosk(rt)
    rt.bus.publish(KioskBanner(text=args.text, seconds=args.seconds))
    return Result("banner shown" if args.text else "banner removed")


class SlidesArgs(_Args):
    slides: Slides
    loop: bool = False


def _slides(slides: list[Any]) -> list[dict[str, Any]]:
    return [s.model_dump(mode="json", exclude_none=True) for s in slides]


@command("slides.push", SlidesArgs, "Show a ClawCast playlist on the kiosk (not on ClawCast).")
async def slides_push(rt: Runtime, args: SlidesArgs) -> Result:
    _require_kiosk(rt)
    rt.bus.publish(SlidesOnAir(platform="studio", slides=_slides(args.slides), loop=args.loop))
    return Result(f"{len(args.slides)} slides on the kiosk")


# -- ClawCast -----------------------------------------------------------------------------


class BatchArgs(_Args):
    slides: Slides


@command("clawcast.batch", BatchArgs, "Publish up to 10 slides on your live ClawCast slot.")
async def clawcast_batch(rt: Runtime, args: BatchArgs) -> Result:
    leg = rt.require_leg("clawcast", "ClawCast")
    if leg.client.slot is None:
        raise CommandRefused(409, "this studio holds no ClawCast slot (it ended or was not booked)")
    reply = await leg.client.publish_batch({"slides": _slides(args.slides)})
    rt.bus.publish(SlidesOnAir(platform="clawcast", slides=_slides(args.slides)))
    return Result(f"{len(args.slides)} slides published", _dump(reply))


class BookArgs(_Args):
    slides: Slides
    duration_minutes: Literal[1, 2, 3] | None = None
    """1, 2 or 3 (default: the length the broadcast booked with)."""


@command("clawcast.book", BookArgs, "Book a ClawCast slot that plays these slides.")
async def clawcast_book(rt: Runtime, args: BookArgs) -> Result:
    from studio.golive.clawcast_leg import SlotHeld

    leg = rt.require_leg("clawcast", "ClawCast")
    if rt.golive is None or rt.golive.state != "live":
        state = rt.golive.state if rt.golive is not None else "idle"
        raise CommandRefused(409, f"the broadcast is not live yet ({state}): book once it is")
    try:
        booked = await leg.book(_slides(args.slides), args.duration_minutes)
    except SlotHeld as exc:
        raise CommandRefused(409, str(exc)) from None
    slot = leg.client.slot
    now = leg.ctx.clock()
    where = (
        "live now"
        if booked.position_in_queue == 0
        else f"position {booked.position_in_queue} in the queue"
    )
    return Result(
        f"ClawCast slot booked with {len(args.slides)} slides: {where}",
        {
            "position_in_queue": booked.position_in_queue,
            "streamer_name": slot.streamer_name,
            "seconds_until_live": slot.seconds_until_live(now),
            "seconds_left": slot.seconds_left(now),
        },
    )


class VoteArgs(_Args):
    poll_id: Text
    option_index: Annotated[int, Field(ge=0, le=5)]
    viewer_id: Text


@command("clawcast.vote", VoteArgs, "Vote in a ClawCast poll.")
async def clawcast_vote(rt: Runtime, args: VoteArgs) -> Result:
    reply = await rt.clawcast().vote(args.poll_id, args.option_index, args.viewer_id)
    return Result("vote counted", _dump(reply))


@command("clawcast.poll_results", NoArgs, "The live results of the poll on your slot.")
async def clawcast_poll_results(rt: Runtime, _: NoArgs) -> Result:
    leg = rt.require_leg("clawcast", "ClawCast")
    return Result("poll results", _dump(await leg.client.poll_results()))


def _me(rt: Runtime) -> tuple[str, str]:
    """This studio's ClawCast name and link (the ClawCast leg's booking)."""
    leg = rt.require_leg("clawcast", "ClawCast")
    return leg.body.streamer_name, leg.body.streamer_url


class DuetRequestArgs(_Args):
    question: DuetText


@command("clawcast.duet.request", DuetRequestArgs, "Ask for a duet partner with a question.")
async def duet_request(rt: Runtime, args: DuetRequestArgs) -> Result:
    name, url = _me(rt)
    reply = await rt.clawcast().request_duet(name=name, url=url, question=args.question)
    rt.bus.publish(DuetTurn(role="host", name=name, text=args.question,
                            request_id=reply.request_id))  # fmt: skip
    return Result("duet requested", _dump(reply))


@command("clawcast.duets", NoArgs, "Open duet requests, waiting for a guest.")
async def duets(rt: Runtime, _: NoArgs) -> Result:
    requests = await rt.clawcast().duet_requests()
    return Result(f"{len(requests)} open duet requests", _dump(requests))


class DuetAcceptArgs(_Args):
    request_id: Text
    answer: DuetText


@command("clawcast.duet.accept", DuetAcceptArgs, "Accept an open duet request with an answer.")
async def duet_accept(rt: Runtime, args: DuetAcceptArgs) -> Result:
    name, url = _me(rt)
    pending = await rt.clawcast().accept_duet(
        request_id=args.request_id, name=name, url=url, answer=args.answer
    )
    rt.bus.publish(DuetTurn(role="guest", name=name, text=args.answer, request_id=pending))
    return Result("duet accepted; the host replies next", {"pending_id": pending})


class DuetReplyArgs(_Args):
    request_id: Text
    reply: DuetText


@command("clawcast.duet.reply", DuetReplyArgs, "Reply as the host: the duet is booked.")
async def duet_reply(rt: Runtime, args: DuetReplyArgs) -> Result:
    name, _ = _me(rt)
    reply = await rt.clawcast().duet_reply(request_id=args.request_id, name=name, reply=args.reply)
    rt.bus.publish(DuetTurn(role="host", name=name, text=args.reply, request_id=args.request_id))
    return Result("duet booked", _dump(reply))


@command("clawcast.slot", NoArgs, "The slot this studio holds: position, start and end.")
async def clawcast_slot(rt: Runtime, _: NoArgs) -> Result:
    leg = rt.require_leg("clawcast", "ClawCast")
    slot = leg.client.slot
    if slot is None:
        return Result("this studio holds no ClawCast slot", None)
    now = leg.ctx.clock()
    data = slot.model_dump(mode="json", exclude={"slot_jwt"})
    data.update(
        seconds_until_live=slot.seconds_until_live(now), seconds_left=slot.seconds_left(now)
    )
    return Result("this studio's ClawCast slot", data)


@command("clawcast.queue", NoArgs, "ClawCast's now-playing and queue.")
async def clawcast_queue(rt: Runtime, _: NoArgs) -> Result:
    client = rt.clawcast()
    now, queue = await client.now(), await client.get_queue()
    return Result("ClawCast now and queue", {"now": _dump(now), "queue": _dump(queue)})


# -- baseFM --------------------------------------------------------------------------------


@command("basefm.live", NoArgs, "baseFM's live DJs, availability and distribution.")
async def basefm_live(rt: Runtime, _: NoArgs) -> Result:
    return Result("baseFM live", _dump(await rt.basefm().live()))


@command("basefm.distribution", NoArgs, "baseFM's distribution health.")
async def basefm_distribution(rt: Runtime, _: NoArgs) -> Result:
    return Result("baseFM distribution", _dump(await rt.basefm().distribution()))


@command("basefm.relays", NoArgs, "baseFM's relay destinations.")
async def basefm_relays(rt: Runtime, _: NoArgs) -> Result:
    return Result("baseFM relays", _dump(await rt.basefm().relays()))


class RelayArgs(_Args):
    key: Annotated[str, Field(min_length=1, max_length=64)]


@command("basefm.relay_probe", RelayArgs, "Health-check one baseFM relay.")
async def basefm_relay_probe(rt: Runtime, args: RelayArgs) -> Result:
    try:
        reply = await rt.basefm().probe_relay(args.key)
    except ValueError as exc:
        raise ValidationFailed([Problem("key", str(exc))], what="relay probe") from None
    return Result("relay probed", _dump(reply))


# -- retake.tv discovery ---------------------------------------------------------------------


@command("retake.live", NoArgs, "The agents live on retake.tv now.")
async def retake_live(rt: Runtime, _: NoArgs) -> Result:
    users = await rt.retake_public().live_users()
    return Result(f"{len(users)} agents live", _dump(users))


@command("retake.tokens.top", NoArgs, "retake.tv's top tokens.")
async def retake_top(rt: Runtime, _: NoArgs) -> Result:
    return Result("top tokens", _dump(await rt.retake_public().top_tokens()))


@command("retake.tokens.trending", NoArgs, "retake.tv's trending tokens.")
async def retake_trending(rt: Runtime, _: NoArgs) -> Result:
    return Result("trending tokens", _dump(await rt.retake_public().trending_tokens()))


class TokenArgs(_Args):
    address: Annotated[str, Field(min_length=1, max_length=64)]


@command("retake.token", TokenArgs, "One token's stats (market cap, volume, holders).")
async def retake_token(rt: Runtime, args: TokenArgs) -> Result:
    return Result("token stats", _dump(await rt.retake_public().token_stats(args.address)))


# -- the retake.tv account (section 6, with the Privy user JWT) ---------------------------
#
# The console and the CLI reach the account only through these commands: the service
# holds the JWT (RETAKE_PRIVY_JWT or its 0600 file) and the core's RetakeAccount sends
# it; no reply, comment or problem ever carries it.


def _checked(model: type[BaseModel], data: dict[str, Any], field: str) -> list[Problem]:
    """The shared rule ``model`` applies to ``data``, its problems named as ``field``."""
    try:
        check(model, data, what=field)
    except ValidationFailed as exc:
        return [Problem(field, p.rule) for p in exc.problems]
    return []


def _image(path: str | None, field: str) -> tuple[bytes | None, list[Problem]]:
    """A JPEG or PNG file as the studio sees it; problems naming ``field``."""
    if path is None:
        return None, []
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return None, [Problem(field, f"{path} cannot be read ({exc.strerror or exc})")]
    try:
        check_image_upload(data, what=field)
    except ValidationFailed as exc:
        return None, list(exc.problems)
    return data, []


def _profile(profile: Any) -> dict[str, Any]:
    return profile.model_dump(mode="json", exclude_none=True)  # type: ignore[no-any-return]


@command("retake.profile", NoArgs, "The retake.tv account's profile (Privy JWT).")
async def retake_profile(rt: Runtime, _: NoArgs) -> Result:
    return Result("the retake.tv profile", _profile(await rt.retake_account().me()))


PathOrText = Annotated[str, Field(max_length=4096)]


class ProfileSetArgs(_Args):
    bio: PathOrText | None = None
    username: PathOrText | None = None
    token_name: PathOrText | None = None
    picture: PathOrText | None = None
    """A JPEG or PNG file, as the studio sees it."""
    banner: PathOrText | None = None
    """A JPEG or PNG file, as the studio sees it."""
    banner_url: PathOrText | None = None

    @model_validator(mode="after")
    def _something(self) -> ProfileSetArgs:
        if all(v is None for v in self.model_dump().values()):
            raise ValueError(
                "give at least one of bio, username, token_name, picture, banner, banner_url"
            )
        return self


@command("retake.profile.set", ProfileSetArgs,
         "Change the profile: bio, username, picture, banner, token name (all checked first).")  # fmt: skip
async def retake_profile_set(rt: Runtime, args: ProfileSetArgs) -> Result:
    problems: list[Problem] = []
    if args.bio is not None:
        problems += _checked(BioRequest, {"bio": args.bio}, "bio")
    if args.username is not None:
        problems += _checked(UsernameRequest, {"username": args.username}, "username")
    if args.token_name is not None:
        problems += _checked(TokenNameRequest, {"token_name": args.token_name}, "token_name")
    if args.banner_url is not None:
        problems += _checked(BannerRequest, {"url": args.banner_url, "has_image": True},
                             "banner_url")  # fmt: skip
    picture, bad = _image(args.picture, "picture")
    problems += bad
    banner, bad = _image(args.banner, "banner")
    problems += bad
    if problems:
        raise ValidationFailed(problems, what="profile change")  # nothing was sent
    account = rt.retake_account()
    changed: list[str] = []
    profile = None
    if args.bio is not None:
        profile = await account.set_bio(args.bio)
        changed.append("bio")
    if args.username is not None:
        profile = await account.set_username(args.username)
        changed.append("username")
    if picture is not None:
        profile = await account.set_profile_picture(picture, Path(args.picture or "").name)
        changed.append("profile picture")
    if banner is not None or args.banner_url is not None:
        profile = await account.set_banner(banner, args.banner_url)
        changed.append("banner")
    if args.token_name is not None:
        profile = await account.set_token_name(args.token_name)
        changed.append("token name")
    assert profile is not None
    return Result(f"changed: {', '.join(changed)}", _profile(profile))


class FollowingArgs(_Args):
    username: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    """Check this one; without it, list everyone followed."""


@command("retake.following", FollowingArgs, "Who the account follows, or whether it follows one.")
async def retake_following(rt: Runtime, args: FollowingArgs) -> Result:
    account = rt.retake_account()
    if args.username is not None:
        yes = await account.is_following(args.username)
        word = "following" if yes else "not following"
        return Result(f"{word} {args.username}", {"username": args.username, "following": yes})
    rows = await account.following()
    return Result(f"following {len(rows)}", _dump(rows))


class TargetArgs(_Args):
    target: Annotated[str, Field(min_length=1, max_length=64)]
    """A username or a userDbId."""


async def _follow(rt: Runtime, target: str, follow: bool) -> Result:
    account = rt.retake_account()
    target_id, name = await follow_target(rt.retake_public(), target)
    state = await (account.follow(target_id) if follow else account.unfollow(target_id))
    word = "following" if state.following else "not following"
    return Result(f"{word} {name or target_id}", {**_dump(state), "username": name})


@command("retake.follow", TargetArgs, "Follow an agent (a username or a userDbId).")
async def retake_follow(rt: Runtime, args: TargetArgs) -> Result:
    return await _follow(rt, args.target, True)


@command("retake.unfollow", TargetArgs, "Stop following an agent (a username or a userDbId).")
async def retake_unfollow(rt: Runtime, args: TargetArgs) -> Result:
    return await _follow(rt, args.target, False)


SessionId = Annotated[str, Field(min_length=1, max_length=64)]


class SessionStartArgs(_Args):
    title: str
    category: str
    tags: list[str] = []


def _session_problems(model: type[BaseModel], data: dict[str, Any], what: str) -> None:
    try:
        check(model, data, what=what)
    except ValidationFailed as exc:
        raise _renamed(exc, {}, what) from None


@command("retake.session.start", SessionStartArgs,
         "Start a retake.tv session with a title, a category and tags.")  # fmt: skip
async def retake_session_start(rt: Runtime, args: SessionStartArgs) -> Result:
    _session_problems(SessionStartRequest, args.model_dump(), "session")
    account = rt.retake_account()
    session = await account.start_session(args.title, args.category, args.tags)
    return Result(f"session {session.session_id} started", _dump(session))


class SessionArgs(_Args):
    session_id: SessionId | None = None
    """Default: the account's active session."""


async def _session_id(rt: Runtime, session_id: str | None) -> str:
    if session_id:
        return session_id
    return await active_session_id(rt.retake_account(), rt.retake_public())


@command("retake.session.end", SessionArgs, "End a session (default: the active one).")
async def retake_session_end(rt: Runtime, args: SessionArgs) -> Result:
    sid = await _session_id(rt, args.session_id)
    session = await rt.retake_account().end_session(sid)
    return Result(f"session {sid} ended", _dump(session))


class SessionUpdateArgs(_Args):
    session_id: SessionId | None = None
    title: str | None = None
    category: str | None = None
    tags: list[str] | None = None


@command("retake.session.update", SessionUpdateArgs,
         "Change a session's title, category or tags (default: the active one).")  # fmt: skip
async def retake_session_update(rt: Runtime, args: SessionUpdateArgs) -> Result:
    _session_problems(SessionUpdateRequest, args.model_dump(exclude={"session_id"}), "session")
    sid = await _session_id(rt, args.session_id)
    session = await rt.retake_account().update_session(
        sid, title=args.title, category=args.category, tags=args.tags
    )
    return Result(f"session {sid} updated", _dump(session))


class SessionDeleteArgs(_Args):
    session_id: SessionId


@command("retake.session.delete", SessionDeleteArgs, "Delete a session (its record and listing).")
async def retake_session_delete(rt: Runtime, args: SessionDeleteArgs) -> Result:
    deleted = await rt.retake_account().delete_session(args.session_id)
    return Result(f"session {deleted.session_id} deleted", _dump(deleted))


@command("retake.session.muted", SessionArgs, "Users muted in a session (default: the active one).")
async def retake_session_muted(rt: Runtime, args: SessionArgs) -> Result:
    sid = await _session_id(rt, args.session_id)
    rows = await rt.retake_account().muted_users(sid)
    return Result(f"{len(rows)} muted in session {sid}", {"session_id": sid, "muted": _dump(rows)})


# -- sound -------------------------------------------------------------------------------


def _audio(rt: Runtime) -> AudioDesk:
    if rt.golive is None or rt.golive.audio is None:
        raise CommandRefused(
            409, "there is no sound yet: the encoder has not started, or runs without sound"
        )
    return rt.golive.audio


class SayArgs(_Args):
    text: Annotated[str, Field(min_length=1, max_length=MAX_CHARS)]


@command("say", SayArgs, "Speak into the live stream: queued, one line at a time, captioned.")
async def say(rt: Runtime, args: SayArgs) -> Result:
    utterance = _audio(rt).say(args.text)
    return Result(f"queued as utterance {utterance}", {"utterance": utterance}, code=202)


class MusicArgs(_Args):
    action: Literal["play", "stop", "skip"] = "play"
    path: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    """A file or a folder (its audio files in name order), as the studio sees it."""
    loop: bool = False

    @model_validator(mode="after")
    def _path_to_play(self) -> MusicArgs:
        if self.action == "play" and not self.path:
            raise ValueError("play needs a path (a file or a folder)")
        return self


@command("music", MusicArgs, "Play a file or a folder into the stream (or loop it), skip, stop.")
async def music(rt: Runtime, args: MusicArgs) -> Result:
    desk = _audio(rt)
    if args.action == "stop":
        await desk.stop_music()
        return Result("music stopped")
    if args.action == "skip":
        desk.skip_track()
        return Result("next track")
    assert args.path is not None
    try:
        tracks = await desk.play_music(Path(args.path), loop=args.loop)
    except ValidationFailed as exc:
        raise _renamed(exc, {"music": "path"}, "music") from None
    looped = ", looped" if args.loop else ""
    return Result(f"playing {tracks} track(s){looped}", {"tracks": tracks})


class VolumeArgs(_Args):
    target: Literal["master", "speech", "music", "sound"] = "master"
    percent: Annotated[int, Field(ge=0, le=MAX_VOLUME)]


@command("volume", VolumeArgs, "Set a volume in percent: master, speech, music or sound.")
async def volume(rt: Runtime, args: VolumeArgs) -> Result:
    desk = _audio(rt)
    await desk.set_volume(args.target, args.percent)
    return Result(f"{args.target} at {args.percent} %", {"volumes": desk.mixer.volumes})


@command("audio.status", NoArgs, "The sound now: volumes, mute, speech queue, music, alert sounds.")
async def audio_status(rt: Runtime, _: NoArgs) -> Result:
    desk = _audio(rt)
    music = desk.music
    now = music.now if music is not None else None
    return Result(
        "the stream's sound",
        {
            "sound": desk.server.running,
            "volumes": dict(desk.mixer.volumes),
            "muted": desk.mixer.muted,
            "speaking": None if desk.voice.speaking is None else list(desk.voice.speaking),
            "waiting": [[n, text] for n, text in desk.voice.waiting.items()],
            "music": None
            if music is None or not music.playing
            else {
                "tracks": len(music.tracks),
                "loop": music.loop,
                "position": now.position if now else None,
                "title": now.title if now else None,
            },
            "alert_sounds": {alert: path.name for alert, path in desk.alert_sounds.sounds.items()},
        },
    )


class MuteArgs(_Args):
    muted: bool = True


@command("mute", MuteArgs, "Mute the stream's sound (the track carries silence), or unmute.")
async def mute(rt: Runtime, args: MuteArgs) -> Result:
    await _audio(rt).set_muted(args.muted)
    return Result("muted" if args.muted else "unmuted", {"muted": args.muted})
