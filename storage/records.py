"""Typed row records: what the local store holds, and what callers hand it to store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class Network(StrEnum):
    MASTODON = "mastodon"
    BLUESKY = "bluesky"
    X = "x"


class MentionKind(StrEnum):
    MENTION = "mention"
    REPLY = "reply"
    QUOTE = "quote"
    DIRECT = "direct"


class TriageStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    DONE = "done"


class AccountState(StrEnum):
    OK = "ok"
    OFFLINE = "offline"
    RATE_LIMITED = "rate_limited"
    NEEDS_SIGN_IN = "needs_sign_in"
    ERROR = "error"


TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def to_timestamp(moment: datetime) -> str:
    """One fixed UTC text form for every stored time, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def from_timestamp(text: str) -> datetime:
    # fromisoformat reads the stored form about ten times faster than strptime: the inbox
    # builds hundreds of rows at once, on the GUI thread.
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


# --- What callers hand the store -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewAccount:
    network: Network
    server: str  # base URL of the Mastodon server or Bluesky PDS
    handle: str
    display_name: str = ""
    platform_user_id: str | None = None  # Mastodon account id / Bluesky DID
    brand: str = ""  # which brand it speaks for; '' = the workspace's brand


@dataclass(frozen=True, slots=True)
class NewAuthor:
    network: Network
    platform_id: str  # Mastodon account id or acct / Bluesky DID: stable across renames
    handle: str
    display_name: str = ""
    avatar_url: str | None = None


@dataclass(frozen=True, slots=True)
class NewMention:
    """One item fetched from a network (or written by the demo generator)."""

    account_id: int
    platform_id: str  # Mastodon status id / Bluesky at:// URI
    author: NewAuthor
    kind: MentionKind
    text: str  # plain text, for display and search
    created_at: datetime
    html: str | None = None  # sanitised HTML, when the network sends HTML
    language: str | None = None  # BCP-47 primary tag, e.g. "nb", "en"
    url: str | None = None  # link to the post on the web
    platform_cid: str | None = None  # Bluesky content id (for strong refs)
    spoiler_text: str = ""
    visibility: str | None = None  # Mastodon: public / unlisted / private / direct
    parent_platform_id: str | None = None
    root_platform_id: str | None = None
    is_own: bool = False  # posted by the brand's own account: thread context, never inbox work
    is_context: bool = False  # fetched only to show a conversation: never inbox work
    raw: str | None = None  # the network's payload as received (JSON text)
    status: TriageStatus = TriageStatus.NEW
    tags: tuple[str, ...] = field(default=())
    # When it reached the brand (the inbox's order and age): the network's time for the
    # notification; None: the post's own time. A post that turned up below what earlier syncs
    # had read (a backdated Bluesky post) passes when Heedful first saw it.
    arrived_at: datetime | None = None
    # Why the brand's server filtered it (Mastodon's notification policy), while it waits as
    # a notification request; None: it reached the inbox. Only inbox items (not context, not
    # the brand's own) set or clear it.
    filtered: str | None = None
    edited_at: datetime | None = None  # the author's latest edit, as the network says
    languages: tuple[str, ...] = ()  # every language the network tags it with
    # "network": `language` is the network's tag; "detected": on-device detection was
    # confident and disagreed with the tag (which stays in `languages`).
    language_source: str = "network"


# --- What the store hands back ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    network: Network
    server: str
    handle: str
    display_name: str
    platform_user_id: str | None
    state: AccountState
    state_detail: str
    created_at: datetime
    last_synced_at: datetime | None = None
    state_until: datetime | None = None
    max_post_length: int | None = None  # as the server said at the last sync; None: unknown
    brand: str = ""  # which brand it speaks for; '' = the workspace's brand


class OutboxState(StrEnum):
    """Where a reply is on its way out (app/sync/sending.py moves it):

    queued → sending → sent, or → failed (the network refused it); a request that went out
    with no clear answer → unknown, looked for on the network before it is posted again;
    restored from a backup → check, looked for before any send (it may have gone since)."""

    QUEUED = "queued"
    SENDING = "sending"  # claimed by a sender that is posting it now
    UNKNOWN = "unknown"  # the post went out (or may have), no answer came back
    CHECK = "check"  # restored from a backup: it may have been sent since the backup
    SENT = "sent"
    FAILED = "failed"

    @property
    def waiting(self) -> bool:
        """Not sent yet and not given up on: a "reply queued" badge, the status bar's count."""
        return self in _WAITING


_WAITING = frozenset(
    {OutboxState.QUEUED, OutboxState.SENDING, OutboxState.UNKNOWN, OutboxState.CHECK}
)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    account_id: int
    mention_id: int | None
    kind: str  # "reply" or "direct"
    body: str
    idempotency_key: str
    state: OutboxState
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    platform_id: str | None
    url: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class Author:
    id: int
    network: Network
    platform_id: str
    handle: str
    display_name: str
    avatar_url: str | None
    first_seen_at: datetime


@dataclass(frozen=True, slots=True)
class InboxRow:
    """A mention as the inbox list and the command line show it."""

    id: int
    network: Network
    account_handle: str
    author_handle: str
    author_name: str
    kind: MentionKind
    text: str
    language: str | None
    created_at: datetime
    status: TriageStatus
    assignee: str | None
    is_own: bool
    # What the list's badges say, read in the same query as the row.
    tags: tuple[str, ...] = ()
    has_draft: bool = False
    reply_state: OutboxState | None = None  # the latest reply queued for this mention
    answered: bool = False  # the brand replied to it (sent, or seen in the thread)
    snoozed_until: datetime | None = None
    arrived_at: datetime | None = None  # the inbox's order and age (None: created_at)
    filtered: str | None = None  # why the brand's server filtered it, while it waits
    deleted: bool = False  # its author deleted it (kept for the record)
    edited: bool = False

    @property
    def inbox_time(self) -> datetime:
        """When it reached the brand: what the inbox sorts and ages by."""
        return self.arrived_at or self.created_at


@dataclass(frozen=True, slots=True)
class Mention:
    """A mention in full, as the detail pane shows it."""

    id: int
    account_id: int
    network: Network
    account_handle: str
    platform_id: str
    url: str | None
    author: Author
    kind: MentionKind
    text: str
    html: str | None
    spoiler_text: str
    language: str | None
    visibility: str | None
    created_at: datetime
    fetched_at: datetime
    parent_platform_id: str | None
    root_platform_id: str | None
    is_own: bool
    status: TriageStatus
    assignee: str | None
    tags: tuple[str, ...]
    platform_cid: str | None = None
    raw: str | None = None
    arrived_at: datetime | None = None  # when it reached the brand (None: created_at)
    filtered: str | None = None  # why the brand's server filtered it, while it waits
    edited_at: datetime | None = None
    original_text: str | None = None  # the text first stored, when it was edited since
    deleted_at: datetime | None = None  # when Heedful learned its author deleted it
    checked_at: datetime | None = None  # when it was last looked up again on the network
    languages: tuple[str, ...] = ()  # every language the network tags it with
    language_source: str = "network"  # or "detected" (see NewMention)

    @property
    def inbox_time(self) -> datetime:
        return self.arrived_at or self.created_at

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
