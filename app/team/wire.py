"""The team's wire format: versioned JSON events, validated before anything is applied.

One event is one change a teammate made: a triage field set, a tag added or removed, a note,
a reply sent, a snippet or the brand profile saved. Events about a mention name it by its
natural key (network, server, account, platform id), never by a local row id; every event
has its own UUID, which is also its JetStream message id (the server drops a republished
duplicate) and the id of the history row it becomes on every laptop.

Anything read from the stream is untrusted: `decode` checks the size, the JSON, every field's
type, length and characters, and raises `MalformedEvent` with a reason instead of returning
something half-valid. A rejected message is logged and skipped, never applied.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from storage.records import Network, to_timestamp

VERSION: Final = 1
# The largest event accepted (a note of 10,000 characters is about 40 KB in UTF-8).
MAX_EVENT_BYTES: Final = 96 * 1024
MAX_NAME = 80  # an actor's name, a user name
MAX_TAG = 40
MAX_NOTE = 10_000
MAX_VALUE = 200  # a triage field's value
MAX_SERVER = 300
MAX_PLATFORM_ID = 500  # a Bluesky at:// URI is long
MAX_REMOVES = 2_000
MAX_SNIPPET_TEXT = 20_000
MAX_VARIANTS = 50

TRIAGE_FIELDS: Final = ("status", "assignee", "priority", "snoozed_until")
STATUSES: Final = ("new", "open", "pending", "done")

EVENT_TYPES: Final = (
    "triage.set",
    "tag.add",
    "tag.remove",
    "note.add",
    "reply.sent",
    "snippet.save",
    "snippet.delete",
    "brand.save",
)
MENTION_EVENTS: Final = frozenset({"triage.set", "tag.add", "tag.remove", "note.add", "reply.sent"})

# Team names become a subject token, a stream name and bucket names: a safe alphabet only.
TEAM_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# C0/C1 controls other than tab and newline, and the bidirectional overrides and isolates
# that make a name read as something else: never in names, tags or values.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")


class MalformedEvent(ValueError):
    """A message that is not a valid event; the text says why (for the log)."""


class TeamNameError(ValueError):
    """A team name that cannot be used."""


def check_team_name(name: str) -> str:
    team = name.strip().lower()
    if not TEAM_NAME.match(team):
        raise TeamNameError(
            "A team name is 1 to 32 lower-case letters, digits, '-' or '_', starting with a "
            "letter or digit (e.g. fjellform-care)."
        )
    return team


@dataclass(frozen=True, slots=True)
class TeamLayout:
    """Where one team's data lives on the server: every name derives from the team's."""

    team: str

    @property
    def prefix(self) -> str:
        return f"heedful.{self.team}"

    @property
    def events_subjects(self) -> str:
        return f"{self.prefix}.ev.>"

    def subject_for(self, event_type: str) -> str:
        return f"{self.prefix}.ev.{event_type}"

    @property
    def stream(self) -> str:
        return f"HEEDFUL_{self.team.upper().replace('-', '_')}"

    @property
    def claims_bucket(self) -> str:
        return f"heedful_{self.team.replace('-', '_')}_claims"

    @property
    def presence_bucket(self) -> str:
        return f"heedful_{self.team.replace('-', '_')}_presence"

    def type_of_subject(self, subject: str) -> str | None:
        start = f"{self.prefix}.ev."
        return subject[len(start) :] if subject.startswith(start) else None


@dataclass(frozen=True, slots=True, order=True)
class TeamMentionKey:
    """The mention's natural key as it travels: the same on every teammate's laptop."""

    network: str
    server: str
    account: str
    platform_id: str

    @property
    def digest(self) -> str:
        """A short stable name for the mention: KV keys, presence keys, local indexes."""
        canonical = json.dumps(
            [self.network, self.server, self.account, self.platform_id], separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]

    def as_json(self) -> dict[str, str]:
        return {
            "network": self.network,
            "server": self.server,
            "account": self.account,
            "platform_id": self.platform_id,
        }


@dataclass(frozen=True, slots=True)
class Event:
    """One teammate's change, as validated. `body` holds the type's own fields."""

    id: str
    type: str
    actor: str  # the name shown in the history ("Kari")
    user: str  # the team user who made it
    at: str  # UTC timestamp in the store's format
    mention: TeamMentionKey | None
    body: Mapping[str, Any] = field(default_factory=dict)

    def encode(self) -> bytes:
        document: dict[str, Any] = {
            "v": VERSION,
            "id": self.id,
            "type": self.type,
            "actor": self.actor,
            "user": self.user,
            "at": self.at,
        }
        if self.mention is not None:
            document["mention"] = self.mention.as_json()
        document.update(self.body)
        data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        if len(data) > MAX_EVENT_BYTES:
            raise MalformedEvent(f"the event is {len(data):,} bytes (at most {MAX_EVENT_BYTES:,})")
        return data


def new_event_id() -> str:
    return str(uuid.uuid4())


def make_event(
    event_type: str,
    *,
    actor: str,
    user: str,
    at: datetime,
    mention: TeamMentionKey | None = None,
    event_id: str | None = None,
    **body: Any,
) -> Event:
    """An event of ours, validated as a teammate's would be (what we send, we could read)."""
    event = Event(
        id=event_id or new_event_id(),
        type=event_type,
        actor=actor,
        user=user,
        at=to_timestamp(at.astimezone(UTC)),
        mention=mention,
        body=body,
    )
    return decode(event.encode())


# --- reading ---------------------------------------------------------------------------------


def decode(data: bytes, *, subject_type: str | None = None) -> Event:
    """The event in `data`, or MalformedEvent saying what is wrong with it."""
    if len(data) > MAX_EVENT_BYTES:
        raise MalformedEvent(f"{len(data):,} bytes is over the limit of {MAX_EVENT_BYTES:,}")
    try:
        document = json.loads(data.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise MalformedEvent(f"not JSON in UTF-8 ({type(error).__name__})") from error
    if not isinstance(document, dict):
        raise MalformedEvent("not a JSON object")
    version = document.get("v")
    if version != VERSION:
        raise MalformedEvent(f"version {version!r} (this Heedful reads version {VERSION})")
    event_type = _text(document, "type", 40)
    if event_type not in EVENT_TYPES:
        raise MalformedEvent(f"unknown event type {event_type!r}")
    if subject_type is not None and subject_type != event_type:
        raise MalformedEvent(f"a {event_type!r} event on the subject for {subject_type!r}")
    event_id = _uuid(document, "id")
    actor = _name(document, "actor")
    user = _name(document, "user")
    at = _time(document, "at")
    mention: TeamMentionKey | None = None
    if event_type in MENTION_EVENTS:
        mention = _mention(document.get("mention"))
    elif "mention" in document:
        raise MalformedEvent(f"a {event_type} event names no mention")
    common = {"v", "id", "type", "actor", "user", "at", "mention"}
    body = {key: value for key, value in document.items() if key not in common}
    _BODY_CHECKS[event_type](body)
    return Event(event_id, event_type, actor, user, at, mention, body)


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _only(body: Mapping[str, Any], allowed: set[str]) -> None:
    extra = set(body) - allowed
    if extra:
        raise MalformedEvent(f"unexpected fields: {', '.join(sorted(extra))[:200]}")


def _text(
    document: Mapping[str, Any],
    key: str,
    limit: int,
    *,
    optional: bool = False,
    lines: bool = False,
) -> str:
    value = document.get(key)
    if value is None and optional:
        return ""
    if not isinstance(value, str):
        raise MalformedEvent(f"{key} is not text")
    if len(value) > limit:
        raise MalformedEvent(f"{key} is {len(value):,} characters (at most {limit:,})")
    pattern = _CONTROL_IN_TEXT if lines else _CONTROL
    if pattern.search(value):
        raise MalformedEvent(f"{key} holds control or direction-override characters")
    return value


def _name(document: Mapping[str, Any], key: str) -> str:
    value = _text(document, key, MAX_NAME)
    if not value.strip():
        raise MalformedEvent(f"{key} is empty")
    return value


def _uuid(document: Mapping[str, Any], key: str, *, optional: bool = False) -> str:
    value = document.get(key)
    if value is None and optional:
        return ""
    if not isinstance(value, str) or not _UUID.match(value):
        raise MalformedEvent(f"{key} is not a UUID")
    return value


def _time(document: Mapping[str, Any], key: str) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        raise MalformedEvent(f"{key} is not a UTC time")
    try:
        moment = datetime.fromisoformat(value.removesuffix("Z")).replace(tzinfo=UTC)
    except ValueError as error:
        raise MalformedEvent(f"{key} is not a real time") from error
    if not 2000 <= moment.year <= 2200:
        raise MalformedEvent(f"{key} is out of range")
    return to_timestamp(moment)


def _mention(value: Any) -> TeamMentionKey:
    if not isinstance(value, dict):
        raise MalformedEvent("the mention is not an object")
    _only(value, {"network", "server", "account", "platform_id"})
    network = _text(value, "network", 20)
    if network not in {n.value for n in Network}:
        raise MalformedEvent(f"unknown network {network!r}")
    key = TeamMentionKey(
        network=network,
        server=_text(value, "server", MAX_SERVER),
        account=_text(value, "account", MAX_PLATFORM_ID),
        platform_id=_text(value, "platform_id", MAX_PLATFORM_ID),
    )
    if not (key.server and key.account and key.platform_id):
        raise MalformedEvent("the mention's key is incomplete")
    return key


def _check_triage(body: Mapping[str, Any]) -> None:
    _only(body, {"field", "value", "base"})
    field_name = body.get("field")
    if field_name not in TRIAGE_FIELDS:
        raise MalformedEvent(f"not a triage field: {str(field_name)[:40]!r}")
    value = body.get("value")
    if value is not None:
        _text(body, "value", MAX_VALUE)
        if field_name == "status" and value not in STATUSES:
            raise MalformedEvent(f"not a status: {value[:20]!r}")
        if field_name == "priority" and value not in {"0", "1", "2", "3"}:
            raise MalformedEvent("priority is 0 to 3")
        if field_name == "snoozed_until":
            _time(body, "value")
        if field_name == "assignee" and not value.strip():
            raise MalformedEvent("an empty assignee (unassigning sends null)")
    elif field_name in ("status", "priority"):
        raise MalformedEvent(f"{field_name} cannot be unset")
    _uuid(body, "base", optional=True)


def _check_tag_add(body: Mapping[str, Any]) -> None:
    _only(body, {"tag"})
    _tag(body)


def _tag(body: Mapping[str, Any]) -> str:
    tag = _text(body, "tag", MAX_TAG)
    if not tag.strip() or tag != tag.strip():
        raise MalformedEvent("a tag is a word without spaces around it")
    return tag


def _check_tag_remove(body: Mapping[str, Any]) -> None:
    _only(body, {"tag", "removes"})
    _tag(body)
    removes = body.get("removes")
    if not isinstance(removes, list) or len(removes) > MAX_REMOVES:
        raise MalformedEvent("removes is not a list of at most 2,000 ids")
    for value in removes:
        if not isinstance(value, str) or not _UUID.match(value):
            raise MalformedEvent("removes holds something that is not a UUID")


def _check_note(body: Mapping[str, Any]) -> None:
    _only(body, {"note_id", "body"})
    _uuid(body, "note_id")
    if not _text(body, "body", MAX_NOTE, lines=True).strip():
        raise MalformedEvent("the note is empty")


def _check_reply(body: Mapping[str, Any]) -> None:
    _only(body, {"url", "post_id"})
    _text(body, "url", 1000, optional=True)
    _text(body, "post_id", MAX_PLATFORM_ID, optional=True)


def _check_snippet(body: Mapping[str, Any]) -> None:
    _only(body, {"snippet_id", "base", "title", "shortcut", "body", "folder", "tags", "variants"})
    _uuid(body, "snippet_id")
    _uuid(body, "base", optional=True)
    if not _text(body, "title", 200).strip():
        raise MalformedEvent("a snippet needs a title")
    _text(body, "shortcut", 40, optional=True)
    _text(body, "body", MAX_SNIPPET_TEXT, lines=True)
    _text(body, "folder", 200, optional=True)
    tags = body.get("tags", [])
    if not isinstance(tags, list) or len(tags) > 50:
        raise MalformedEvent("tags is not a list of at most 50")
    for tag in tags:
        if not isinstance(tag, str) or len(tag) > MAX_TAG or _CONTROL.search(tag):
            raise MalformedEvent("a snippet tag is not a short word")
    variants = body.get("variants", [])
    if not isinstance(variants, list) or len(variants) > MAX_VARIANTS:
        raise MalformedEvent(f"variants is not a list of at most {MAX_VARIANTS}")
    for variant in variants:
        if not isinstance(variant, dict):
            raise MalformedEvent("a variant is not an object")
        _only(variant, {"language", "network", "body"})
        _text(variant, "language", 20, optional=True)
        _text(variant, "network", 20, optional=True)
        _text(variant, "body", MAX_SNIPPET_TEXT, lines=True)


def _check_snippet_delete(body: Mapping[str, Any]) -> None:
    _only(body, {"snippet_id", "base"})
    _uuid(body, "snippet_id")
    _uuid(body, "base", optional=True)


def _check_brand(body: Mapping[str, Any]) -> None:
    _only(body, {"base", "profile"})
    _uuid(body, "base", optional=True)
    profile = body.get("profile")
    if not isinstance(profile, dict):
        raise MalformedEvent("the brand profile is not an object")
    # Its meaning is checked where it is applied (app.compose.brand reads it as a file).


_BODY_CHECKS = {
    "triage.set": _check_triage,
    "tag.add": _check_tag_add,
    "tag.remove": _check_tag_remove,
    "note.add": _check_note,
    "reply.sent": _check_reply,
    "snippet.save": _check_snippet,
    "snippet.delete": _check_snippet_delete,
    "brand.save": _check_brand,
}


def removes_of(event: Event) -> Sequence[str]:
    removes = event.body.get("removes", [])
    return [str(value) for value in removes]


__all__ = [
    "EVENT_TYPES",
    "MAX_EVENT_BYTES",
    "VERSION",
    "Event",
    "MalformedEvent",
    "TeamLayout",
    "TeamMentionKey",
    "TeamNameError",
    "check_team_name",
    "decode",
    "make_event",
    "new_event_id",
]
