"""One demo post as a network would have sent it: ids, URL, HTML, visibility, thread links."""

from __future__ import annotations

from datetime import datetime

from storage.records import MentionKind, Network, NewMention, TriageStatus

from app.demo.data import WINDOW
from app.demo.ids import cid, snowflake, tid
from app.demo.people import BrandAccount, Customer
from app.demo.text import mastodon_html
from app.demo.world import DemoWorld, Posted

# Bluesky allows 300 graphemes; counting code points is stricter. Longer texts go to Mastodon.
_BLUESKY_LIMIT = 300


def post(
    world: DemoWorld,
    *,
    account: BrandAccount,
    author: Customer | None,
    kind: MentionKind,
    text: str,
    lang: str,
    created_at: datetime,
    parent: Posted | None = None,
    status: TriageStatus = TriageStatus.NEW,
    tags: tuple[str, ...] = (),
    spoiler_text: str = "",
) -> Posted:
    """Add one mention (author None: the brand itself) and return how to reply to it."""
    if not world.now - WINDOW < created_at < world.now:
        raise ValueError(f"demo post outside the last 30 days: {text[:60]!r}")
    created_at = created_at.replace(microsecond=created_at.microsecond // 1000 * 1000)
    network = account.network
    if author is not None and author.network is not network:
        raise ValueError(f"{author.handle} cannot post to {account.handle}")
    mentions: dict[str, str] = {}
    if author is None:
        # The brand answers in a thread: Mastodon puts the person's name first.
        if network is Network.MASTODON and parent is not None:
            replying_to = world.customer_of[parent.platform_id]
            text = f"@{replying_to.user} {text}"
            mentions["@" + replying_to.user] = replying_to.profile_url
        poster_did, poster_handle = account.platform_user_id, account.handle
    else:
        text = _with_brand_mention(world, account, kind, text)
        mentions[account.mention] = account.profile_url
        poster_did, poster_handle = author.platform_id, author.handle
    platform_id, key = new_ids(world, account, poster_did, created_at)
    if network is Network.MASTODON:
        host = account.server.removeprefix("https://") if author is None else author.host
        user = account.user if author is None else author.user
        url = f"https://{host}/@{user}/{key}"
        page = mastodon_html(text, mentions, host)
        visibility = "public" if author is None else _visibility(world, kind)
        content_id = None
    else:
        if len(text) > _BLUESKY_LIMIT:
            raise ValueError(f"too long for Bluesky: {text[:60]!r}")
        url = f"https://bsky.app/profile/{poster_handle}/post/{key}"
        page, visibility, content_id, spoiler_text = None, None, cid(platform_id), ""
    root_id = parent.root_id if parent is not None else platform_id
    world.out.append(
        NewMention(
            account_id=world.account_ids[account.handle],
            platform_id=platform_id,
            author=account.as_author() if author is None else author.as_author(),
            kind=kind,
            text=text,
            created_at=created_at,
            html=page,
            language=lang,
            url=url,
            platform_cid=content_id,
            spoiler_text=spoiler_text,
            visibility=visibility,
            parent_platform_id=parent.platform_id if parent is not None else None,
            root_platform_id=root_id if parent is not None else None,
            is_own=author is None,
            status=TriageStatus.DONE if author is None else status,
            tags=tags,
        )
    )
    if author is not None:
        world.customer_of[platform_id] = author
    elif parent is not None:
        world.customer_of[platform_id] = world.customer_of[parent.platform_id]
    return Posted(platform_id, root_id, created_at)


def new_ids(
    world: DemoWorld, account: BrandAccount, did: str, created_at: datetime
) -> tuple[str, str]:
    """A fresh (platform_id, record key or status id) for a post on `account`."""
    taken = world.taken[account.key]
    while True:
        if account.network is Network.MASTODON:
            status_id = str(snowflake(created_at, world.rng.getrandbits(16)))
            platform_id, key = status_id, status_id
        else:
            key = tid(created_at, world.rng.getrandbits(10))
            platform_id = f"at://{did}/app.bsky.feed.post/{key}"
        if platform_id not in taken:
            taken.add(platform_id)
            return platform_id, key


def _with_brand_mention(
    world: DemoWorld, account: BrandAccount, kind: MentionKind, text: str
) -> str:
    if account.mention in text or kind is MentionKind.QUOTE:
        return text
    if account.network is Network.BLUESKY:
        if kind is MentionKind.REPLY:
            return text  # a Bluesky reply reaches the brand without naming it
        if world.rng.random() < 0.35:
            return f"{text} {account.mention}"
    return f"{account.mention} {text}"


def _visibility(world: DemoWorld, kind: MentionKind) -> str:
    if kind is MentionKind.DIRECT:
        return "direct"
    return "unlisted" if world.rng.random() < 0.12 else "public"
