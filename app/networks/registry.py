"""Every network Heedful speaks, and what each can do: one descriptor a network.

The composer, the length checks, the inbox's labels, the search's `network:` values, the
command line and the connector factory ask here instead of testing which network a thing
is on. Adding a network is one `NetworkInfo` in `NETWORKS`, its connector package (with a
`connect` function, see `app.networks.factory`), its value in `storage.records.Network`
and a migration for the stored CHECK constraint.

Nothing here imports a network library: the window reads this at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from storage.records import Network

from app.networks.lengths import BLUESKY_LENGTH, MASTODON_LENGTH, X_LENGTH, LengthRule


class SignIn(StrEnum):
    """How a person connects an account."""

    BROWSER = "browser"  # OAuth on a server the person names, finished in the browser
    APP_PASSWORD = "app_password"  # a handle and an app password made for Heedful
    OWN_APP = "own_app"  # OAuth in the browser, through the person's own developer app


class Addressing(StrEnum):
    """How a reply reaches the person it answers."""

    HANDLE_IN_TEXT = "handle_in_text"  # the post starts with @user@server (and counts it)
    THREAD = "thread"  # the reply refers to the post; no @handle needed in the text


@dataclass(frozen=True, slots=True)
class DirectMessages:
    """Whether Heedful can answer in private, and how that travels on this network."""

    supported: bool
    how: str  # for people: where a private reply goes
    # The post visibility that makes a post private (a reply to it stays private).
    visibility: str | None = None
    why_not: str = ""  # what to tell someone who asks for a DM where there is none
    # A person may refuse DMs (Bluesky's chat settings): ask the network before writing one.
    may_be_closed: bool = False


@dataclass(frozen=True, slots=True)
class NetworkInfo:
    network: Network  # what the store keeps
    label: str  # how people write its name
    mark: str  # the inbox's one-character sign for it
    length: LengthRule
    direct_messages: DirectMessages
    # From the widest audience to the narrowest; a reply never widens its post's.
    visibilities: tuple[str, ...]
    addressing: Addressing
    handle_example: str  # a handle as this network writes one
    sign_in: SignIn
    sign_in_help: str  # what `heedful accounts add NETWORK` does
    default_server: str | None  # None: the person names their server
    connector_module: str  # imported only when an account syncs: it has `connect()`
    # Visibilities a post can have but a reply cannot be sent with (it would need more than
    # the name, such as which list): a reply goes one narrower.
    unpostable_visibilities: frozenset[str] = frozenset()
    # Billed per read and per post (X): its connector is given the spend ledger, and
    # channel health shows what it spent against the person's daily read budget.
    metered: bool = False

    @property
    def name(self) -> str:
        """The network's name as typed (`network:bluesky`) and stored."""
        return self.network.value

    def reply_opening(self, author_handle: str) -> str:
        """What a reply to this author starts with: `@kari@toot.example ` on a network that
        addresses in the text (the connector adds it when missing, so it counts)."""
        if self.addressing is Addressing.HANDLE_IN_TEXT:
            return "@" + author_handle.lstrip("@") + " "
        return ""

    def is_private(self, visibility: str | None) -> bool:
        """Whether a post with this visibility is a private message."""
        return visibility is not None and visibility == self.direct_messages.visibility

    def strictest(self, *visibilities: str | None) -> str:
        """The narrowest of these visibilities; the widest when none is given (None: the
        post says nothing about its audience). A visibility this network does not list (a
        server's own, such as Akkoma's `mutuals`) is never widened: it counts as the
        narrowest there is, so a reply never reaches more people than its post did."""
        given = [v for v in visibilities if v is not None]
        if not given:
            return self.visibilities[0]
        narrowest = len(self.visibilities) - 1
        return self.visibilities[
            max(self.visibilities.index(v) if v in self.visibilities else narrowest for v in given)
        ]

    def reply_visibility(self, *visibilities: str | None) -> str:
        """The visibility to post a reply with: the strictest, made one this network can post
        (an audience a reply cannot name, such as a Pleroma list, becomes the next narrower
        one it can)."""
        chosen = self.strictest(*visibilities)
        while chosen in self.unpostable_visibilities:
            chosen = self.visibilities[self.visibilities.index(chosen) + 1]
        return chosen


MASTODON = NetworkInfo(
    network=Network.MASTODON,
    label="Mastodon",
    mark="🐘",
    length=MASTODON_LENGTH,
    direct_messages=DirectMessages(
        True, "a post only the people it mentions can see", visibility="direct"
    ),
    # Pleroma and Akkoma (Mastodon-API servers) add `local` (this server's people only) and
    # `list` (the members of one of the author's lists, named as `list:ID` when posting).
    visibilities=("public", "unlisted", "local", "private", "list", "direct"),
    addressing=Addressing.HANDLE_IN_TEXT,
    handle_example="kari@toot.example",
    sign_in=SignIn.BROWSER,
    sign_in_help="sign in to a Mastodon server",
    default_server=None,
    connector_module="app.networks.mastodon.connect",
    unpostable_visibilities=frozenset({"list"}),
)

BLUESKY = NetworkInfo(
    network=Network.BLUESKY,
    label="Bluesky",
    mark="🦋",
    length=BLUESKY_LENGTH,
    direct_messages=DirectMessages(
        True,
        "a chat message (Bluesky's chat service, through the account's own server)",
        # Bluesky posts are all public; a DM is a chat conversation, not a post.
        visibility=None,
        may_be_closed=True,
    ),
    visibilities=("public",),
    addressing=Addressing.THREAD,
    handle_example="kari.bsky.social",
    sign_in=SignIn.APP_PASSWORD,
    sign_in_help="sign in with an app password (read from standard input)",
    default_server="https://bsky.social",
    connector_module="app.networks.bluesky.connect",
)

X = NetworkInfo(
    network=Network.X,
    label="X",
    mark="𝕏",
    length=X_LENGTH,
    direct_messages=DirectMessages(True, "an X direct message", visibility="direct"),
    visibilities=("public", "direct"),
    addressing=Addressing.THREAD,
    handle_example="kari_nordmann",
    sign_in=SignIn.OWN_APP,
    sign_in_help="sign in through your own X developer app (its OAuth 2.0 client id)",
    default_server="https://api.x.com",
    connector_module="app.networks.x.connect",
    metered=True,
)

NETWORKS: tuple[NetworkInfo, ...] = (MASTODON, BLUESKY, X)

_BY_NETWORK = {info.network: info for info in NETWORKS}


def network_info(network: Network) -> NetworkInfo:
    return _BY_NETWORK[network]


def find_network(name: str) -> NetworkInfo | None:
    """The network a person named ("Bluesky", "mastodon"); None when there is none."""
    wanted = name.strip().casefold()
    return next((info for info in NETWORKS if info.name == wanted), None)


def post_length(network: Network, text: str) -> int:
    """How long `text` is as `network` counts it."""
    return network_info(network).length.count(text)


def max_length(network: Network, server_limit: int | None) -> int:
    """The limit to check a reply against: the network's, or its server's as last synced."""
    return network_info(network).length.limit(server_limit)
