"""The interface every network connector gives the sync engine, and the values it trades in."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from storage.records import Mention, Network, NewMention


@dataclass(frozen=True, slots=True)
class AccountIdentity:
    """Who the brand's account is on the network, as the network itself says."""

    platform_user_id: str
    handle: str
    display_name: str


# Why a notification whose post is gone (`status: null` on Mastodon) was left out: not an
# unreadable item, and channel health counts it apart.
DELETED_BEFORE_FETCH = "deleted by its author before Heedful fetched it"


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """One page of new items, oldest first, and the cursor to keep once they are stored.

    The cursor must be saved in the same transaction as the items: a crash then re-fetches
    at most this page, and the store's uniqueness keeps it from being stored twice.
    """

    items: list[NewMention]
    cursor: str
    skipped: list[str] = field(default_factory=list)  # why unreadable items were left out


@dataclass(frozen=True, slots=True)
class ReplyTarget:
    """The post being answered, with what each network needs to thread the reply."""

    platform_id: str
    platform_cid: str | None = None  # Bluesky strong ref
    root_platform_id: str | None = None
    root_platform_cid: str | None = None
    author_handle: str = ""
    visibility: str | None = None  # Mastodon: a reply to a direct message stays direct
    mentioned_handles: tuple[str, ...] = ()  # other participants to keep in the reply
    # The author's own id on the network, whom a direct message goes to (X: user id,
    # Bluesky: DID).
    author_id: str | None = None


@dataclass(frozen=True, slots=True)
class OutgoingPost:
    text: str
    # Chosen once, when the reply is queued, and reused on every attempt: the network then
    # recognises a retry of a post it already has, and nothing is posted twice.
    idempotency_key: str
    reply_to: ReplyTarget | None = None
    direct: bool = False


@dataclass(frozen=True, slots=True)
class SentPost:
    platform_id: str
    url: str | None
    # The brand's own post, stored as thread context; None when the answer could not be read
    # as one (the post is sent all the same: the next thread fetch brings it).
    as_mention: NewMention | None


@dataclass(frozen=True, slots=True)
class RateLimitState:
    limit: int | None = None
    remaining: int | None = None
    resets_at: datetime | None = None


# Called by a connector while it waits (a rate-limit pause), at least every second: the sync
# renews its lease there, and the call raises (storage.leases.LeaseLost) to end the wait when
# another sync has taken the account over.
Heartbeat = Callable[[], None]


class Connector(Protocol):
    """One brand account on one network. Every method may raise app.networks.errors types."""

    network: Network
    # Set by the sync that uses the connector; None: nobody to tell.
    heartbeat: Heartbeat | None

    def verify(self) -> AccountIdentity:
        """Check the credentials still work, and say whose they are."""
        ...

    def fetch_new(self, cursor: str | None) -> Iterator[FetchedPage]:
        """Every item newer than `cursor` (all the network still serves when None), a page
        at a time, oldest first."""
        ...

    def fetch_thread(self, platform_id: str) -> list[NewMention]:
        """The conversation around a post: its ancestors and replies."""
        ...

    def reply_target(self, mention: Mention) -> ReplyTarget:
        """What a reply to this stored mention must refer to and address."""
        ...

    def send(self, post: OutgoingPost) -> SentPost:
        """Post it. Raises OutcomeUnknown when the request may have reached the network and
        no clear answer came back; the other errors mean it was certainly not posted."""
        ...

    def find_sent(
        self, post: OutgoingPost, *, since: datetime, known: frozenset[str]
    ) -> SentPost | None:
        """The brand's own post an earlier attempt at `post` made, if the network has it
        (posted after `since`, not one of the `known` platform ids already recorded for
        other replies); None when it is certainly not there. Raises when it cannot tell."""
        ...

    def max_post_length(self) -> int | None:
        """How long a post may be, counted as this network counts; None when unknown."""
        ...

    def rate_limit(self) -> RateLimitState: ...

    def token_expires_at(self) -> datetime | None:
        """When the sign-in token runs out, where the network says; None when unknown."""
        ...

    def close(self) -> None:
        """Let go of network connections."""
        ...


# --- what some networks also do ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeldBack:
    """What the brand's server holds back as notification requests (Mastodon 4.3+)."""

    description: str  # the policy in a line ("filters private mentions, …")
    policy: dict[str, str]  # each category: accept, filter or drop
    requests_waiting: int  # accounts whose notifications wait
    notifications_waiting: int


@runtime_checkable
class FiltersNotifications(Protocol):
    """A network whose server can hold notifications back until the brand accepts them."""

    def held_back(self) -> HeldBack | None:
        """As the last fetch learned it; None when the server filters nothing."""
        ...

    def waiting_authors(self) -> frozenset[str]:
        """The platform ids of the authors whose requests wait now (asks the server)."""
        ...

    def from_author(self, author_platform_id: str, *, as_filtered: bool) -> list[NewMention]:
        """Everything the server has from this author, filtered or not."""
        ...

    def accept_request(self, author_platform_id: str) -> None: ...

    def dismiss_request(self, author_platform_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class LookedAgain:
    current: list[NewMention]  # the posts as they are now (an edit shows in their text)
    gone: list[str]  # platform ids the network no longer has: deleted by their authors


@runtime_checkable
class LooksAgain(Protocol):
    """A network whose posts can be looked up again, for edits and deletions."""

    def look_again(self, platform_ids: Sequence[str]) -> LookedAgain: ...

    def first_version(self, platform_id: str) -> str | None:
        """A post's text as first written (its edit history), where the network keeps one."""
        ...


@runtime_checkable
class ChecksDirectMessages(Protocol):
    """A network where a person may not accept direct messages (Bluesky's chat settings)."""

    def why_no_direct_message(self, mention: Mention) -> str:
        """Why a direct message to this mention's author would be refused now ("" when it
        would go)."""
        ...
