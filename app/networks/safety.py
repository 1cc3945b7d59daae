"""Making a parsed network item safe to store: bounded, valid text, a storable time.

Every network payload is untrusted. The parse functions turn what they can read into a
NewMention and pass it through `storable()`, which either returns a mention the store can
always write (so one hostile item never fails a whole page) or raises SkipItem with a reason.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

from storage.records import NewAuthor, NewMention, utc_now

from app.text.display import encodable, reveal_invisible

# Far beyond any real post (Mastodon's default is 500 characters, Bluesky's 300 graphemes,
# the largest servers allow a few tens of thousands): text past this is cut, with a note.
MAX_TEXT_CHARS = 20_000
MAX_HTML_CHARS = 50_000
# The payload as received is kept for replies (Bluesky's thread root); a huge one is not.
MAX_RAW_CHARS = 400_000
MAX_NAME_CHARS = 500
MAX_ID_CHARS = 512
# More combining marks than this on one character is a "Zalgo" flood that draws over the
# lines around it; real scripts (Vietnamese, Devanagari, Tibetan) stack far fewer.
MAX_COMBINING_RUN = 8

_COMBINING = r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
_COMBINING_RUN = re.compile(f"({_COMBINING}{{{MAX_COMBINING_RUN}}}){_COMBINING}+")


class SkipItem(Exception):
    """An item that cannot or should not be stored; the message says why (for the log)."""


def cut_note(original_length: int) -> str:
    return f"\n[… cut by Heedful: the post was {original_length:,} characters long]"


def clean_text(text: str, limit: int) -> str:
    """Text SQLite can store and Qt can draw: no lone surrogates (they cannot be encoded as
    UTF-8) or NUL bytes (they cut text short in C code), no combining floods, and at most
    `limit` characters."""
    original_length = len(text)
    if original_length > limit:
        text = text[:limit]
    text = encodable(text).replace("\x00", "\ufffd")
    text = _COMBINING_RUN.sub(r"\1", text)
    if original_length > limit:
        text += cut_note(original_length)
    return text


def _optional(text: str | None, limit: int) -> str | None:
    return None if text is None else clean_text(text, limit)


# Before any network existed, or in the future: such a time would pin a post to the top of
# the inbox for ever (Bluesky's createdAt is whatever the poster's client wrote) or bury it.
# Those posts are shown at the time Heedful received them; the original stays in `raw`.
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)  # clocks differ


def _storable_time(moment: datetime, now: datetime) -> datetime:
    try:
        moment = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return now
    if moment < EARLIEST_TIME or moment > now + FUTURE_SLACK:
        return now
    return moment


def storable(mention: NewMention, *, raw_when_too_long: str | None = None) -> NewMention:
    """The mention with every field made safe to store; SkipItem when it cannot be."""
    platform_id = clean_text(mention.platform_id, MAX_ID_CHARS + 1)
    if not platform_id.strip() or len(platform_id) > MAX_ID_CHARS:
        raise SkipItem("missing or oversized post id")
    author_id = clean_text(mention.author.platform_id, MAX_ID_CHARS + 1)
    if not author_id.strip() or len(author_id) > MAX_ID_CHARS:
        raise SkipItem("missing or oversized author id")
    handle = reveal_invisible(clean_text(mention.author.handle, MAX_NAME_CHARS))
    if not handle.strip():
        raise SkipItem("author without a handle")
    html = mention.html
    if html is not None and len(html) > MAX_HTML_CHARS:
        html = None  # the plain text (cut, with a note) is shown instead
    raw = mention.raw
    if raw is not None and len(raw) > MAX_RAW_CHARS:
        raw = raw_when_too_long
    author = NewAuthor(
        mention.author.network,
        platform_id=author_id,
        handle=handle,
        display_name=clean_text(mention.author.display_name, MAX_NAME_CHARS),
        avatar_url=_optional(mention.author.avatar_url, MAX_ID_CHARS * 4),
    )
    return dataclasses.replace(
        mention,
        platform_id=platform_id,
        author=author,
        text=clean_text(mention.text, MAX_TEXT_CHARS),
        html=_optional(html, MAX_HTML_CHARS),
        created_at=_storable_time(mention.created_at, utc_now()),
        language=_optional(mention.language, 35),
        url=_optional(mention.url, MAX_ID_CHARS * 4),
        platform_cid=_optional(mention.platform_cid, MAX_ID_CHARS),
        spoiler_text=clean_text(mention.spoiler_text, MAX_NAME_CHARS * 4),
        visibility=_optional(mention.visibility, 32),
        parent_platform_id=_optional(mention.parent_platform_id, MAX_ID_CHARS),
        root_platform_id=_optional(mention.root_platform_id, MAX_ID_CHARS),
        raw=_optional(raw, MAX_RAW_CHARS),
    )
