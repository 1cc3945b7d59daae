"""The hostile content corpus: realistic network payloads built from real-shaped templates.

Each case is one Mastodon notification or one Bluesky notification view, as a server would
send it, with one thing made hostile: markup that runs or loads, text that lies about its
direction or identity, sizes no post should have, wrong types, missing fields, bad times.
Built in code (the 10 MB cases would not belong in git); `python -m tests.hostile.corpus`
prints a summary.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent.parent / "data"
MASTODON_SERVER = "https://social.example"
MASTODON_OWN_ID = "109000000000000001"
BLUESKY_OWN_DID = "did:plc:brandbrandbrandbrandbran"

# Where "remote" content points: the no-remote-loads test serves this host and counts hits.
TRACKER = "http://127.0.0.1:{port}"

MB = 1_000_000


@dataclass(frozen=True)
class HostileCase:
    name: str
    network: str  # "mastodon" or "bluesky"
    payload: Any  # one notification as decoded JSON
    # "stored": must be stored (cleaned); "skipped": must be skipped; "either": stored or
    # skipped, as long as nothing breaks.
    expect: str = "either"
    # Text that must never appear in what is stored or shown (e.g. "<script").
    forbidden: tuple[str, ...] = ()


# --- templates: the shapes real servers send --------------------------------------------------


def mastodon_template(number: int = 0) -> dict[str, Any]:
    notifications = json.loads((DATA / "mastodon" / "notifications.json").read_text())
    base: dict[str, Any] = copy.deepcopy(notifications[0])
    base["id"] = str(90_000_000 + number)
    base["status"]["id"] = str(113_600_000_000_000_000 + number)
    return base


def bluesky_template(number: int = 0) -> dict[str, Any]:
    notifications = json.loads((DATA / "bluesky" / "notifications.json").read_text())
    base: dict[str, Any] = copy.deepcopy(notifications[0])
    base["uri"] = f"at://did:plc:kq3ywmvbgfpcdyqsjkbxdnfe/app.bsky.feed.post/3lhostile{number:05d}"
    return base


# --- hostile HTML (Mastodon content is HTML) ---------------------------------------------------


def hostile_html(tracker: str) -> dict[str, str]:
    big_mentions = " ".join(
        f'<span class="h-card"><a href="https://x.example/@u{n}" class="u-url mention">'
        f"@<span>u{n}</span></a></span>"
        for n in range(10_000)
    )
    return {
        "script": "<p>hi<script>alert(document.cookie)</script></p>",
        "script-src": f'<script src="{tracker}/s.js"></script><p>x</p>',
        "script-uppercase": "<SCRIPT>alert(1)</SCRIPT><p>x</p>",
        "script-split": "<scr<script>ipt>alert(1)</scr</script>ipt>",
        "style": "<style>body{display:none}</style><p>visible</p>",
        "style-import": f"<style>@import url({tracker}/i.css);</style><p>x</p>",
        "style-attr-url": f"<p style=\"background:url('{tracker}/bg.png')\">x</p>",
        "onclick": '<p onclick="steal()">click</p>',
        "onerror-img": f'<img src="{tracker}/x.png" onerror="alert(1)">',
        "onmouseover": '<a href="https://ok.example" onmouseover="x()">ok</a>',
        "svg-onload": '<svg onload="alert(1)"><circle r="1"/></svg>',
        "body-onload": '<body onload="alert(1)"><p>x</p></body>',
        "javascript-link": '<a href="javascript:alert(1)">click me</a>',
        "javascript-entity-link": '<a href="jav&#x09;ascript:alert(1)">x</a>',
        "javascript-upper": '<a href="JaVaScRiPt:alert(1)">x</a>',
        "vbscript-link": '<a href="vbscript:msgbox(1)">x</a>',
        "data-link": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>',
        "data-img": '<img src="data:image/png;base64,iVBORw0KGgo=">',
        "tracking-pixel": f'<p>hi</p><img src="{tracker}/pixel.gif" width="1" height="1">',
        "img-srcset": f'<img srcset="{tracker}/a.png 1x, {tracker}/b.png 2x">',
        "picture-source": f'<picture><source srcset="{tracker}/p.webp"></picture>',
        "iframe": f'<iframe src="{tracker}/frame"></iframe><p>x</p>',
        "object": f'<object data="{tracker}/o.swf"></object>',
        "embed": f'<embed src="{tracker}/e.swf">',
        "video-poster": f'<video poster="{tracker}/poster.jpg" src="{tracker}/v.mp4"></video>',
        "audio": f'<audio src="{tracker}/a.mp3" autoplay></audio>',
        "link-prefetch": f'<link rel="prefetch" href="{tracker}/prefetch">',
        "link-stylesheet": f'<link rel="stylesheet" href="{tracker}/style.css">',
        "meta-refresh": f'<meta http-equiv="refresh" content="0;url={tracker}/r">',
        "base-href": f'<base href="{tracker}/"><a href="x">rel</a>',
        "form-action": f'<form action="{tracker}/f"><input name="q"></form>',
        "background-attr": f'<table background="{tracker}/t.png"><tr><td>x</td></tr></table>',
        "css-expression": '<p style="width:expression(alert(1))">x</p>',
        "nested-unclosed": "<p><b><i><span><a href='https://ok.example'>deep" * 50,
        "deep-nesting": "<span>" * 5000 + "bottom" + "</span>" * 5000,
        "unclosed-comment": "<p>before<!-- never closed <script>alert(1)</script>",
        "conditional-comment": "<!--[if IE]><script>alert(1)</script><![endif]--><p>x</p>",
        "cdata": "<![CDATA[<script>alert(1)</script>]]><p>x</p>",
        "entities": "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp; &#60;b&#62; &#x1F600;</p>",
        "bad-entities": "<p>&#0; &#xD800; &#99999999; &bogus; &#x110000;</p>",
        "textarea-escape": "<textarea><script>alert(1)</script></textarea>",
        "math-mxss": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "noscript-mxss": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
        "template": "<template><script>alert(1)</script></template><p>x</p>",
        "huge-attribute": f'<a href="https://ok.example/{"a" * 200_000}">long</a>',
        "one-mb-text": "<p>" + "spam " * (MB // 5) + "</p>",
        "ten-mb-text": "<p>" + ("x" * 99 + " ") * (10 * MB // 100) + "</p>",
        "ten-thousand-mentions": f"<p>{big_mentions}</p>",
        "only-tags": "<p></p>" * 10_000,
        "null-bytes": "<p>before\x00after\x00<script>x</script></p>",
        "control-chars": "<p>" + "".join(chr(c) for c in range(1, 32)) + "</p>",
    }


_FORBIDDEN_HTML = (
    "<script",
    "<style",
    "<img",
    "<iframe",
    "javascript:",
    "vbscript:",
    "data:",
    "onerror",
    "onclick",
    "onload",
    "onmouseover",
    "127.0.0.1",
)

_TRICKY_TEXT = {
    "rtl-override": "invoice\u202egpj.exe please check",
    "rtl-isolates": "\u2066\u2067\u2068hidden\u2069 order \u202a\u202b\u202c\u202d",
    "zero-width-spam": "r\u200be\u200cf\u200du\u2060n\ufeffd",
    "combining-flood": "Z" + "\u0336\u0337\u0338\u0301\u0300" * 4000 + "algo",
    "combining-flood-many": ("a" + "\u0301" * 200) * 500,
    "lone-surrogate-high": "broken \ud800 text",
    "lone-surrogate-low": "broken \udfff text",
    "reversed-surrogates": "\udc00\ud800",
    "nul-in-text": "before\x00after",
    "bom-and-nonchars": "\ufeff\ufffe\uffff text",
    "private-use": "\ue000\uf8ff\U000f0000",
    "emoji-zwj": "👨‍👩‍👧‍👦 🏳️‍🌈 family",
    "long-line": "x" * 300_000,
    "newline-flood": "\n" * 100_000 + "end",
    "one-mb-plain": "ordre " * (MB // 6),
    "ten-mb-plain": "z" * (10 * MB),
}

_TRICKY_HANDLES = {
    "zero-width-space": "ka\u200bri",
    "zero-width-joiner": "ka\u200dri",
    "word-joiner": "ka\u2060ri",
    "bom": "\ufeffkari",
    "rtl-override-handle": "kari\u202eevil",
    "isolate-handle": "\u2066kari\u2069",
    "hangul-filler": "\u3164kari",
    "nbsp": "ka\u00a0ri",
    "soft-hyphen": "ka\u00adri",
    "huge-handle": "k" * 100_000,
    "empty-handle": "",
    "nul-handle": "ka\x00ri",
}


# --- Mastodon cases -------------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(payload: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = payload
        for part in parents:
            target = target[part]
        target[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(payload: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = payload
        for part in parents:
            target = target[part]
        target.pop(last, None)

    return mutate


_WRONG_VALUES: dict[str, Any] = {
    "null": None,
    "int": 12345,
    "float": 1e308,
    "bool": True,
    "list": ["a", 1],
    "object": {"nested": {"deeper": [1, 2]}},
}

_MASTODON_FIELDS = (
    "id",
    "type",
    "status",
    "status.id",
    "status.content",
    "status.created_at",
    "status.account",
    "status.account.id",
    "status.account.acct",
    "status.account.display_name",
    "status.account.avatar_static",
    "status.visibility",
    "status.language",
    "status.in_reply_to_id",
    "status.spoiler_text",
    "status.url",
    "status.media_attachments",
    "status.quote",
)

_FAR_TIMES = {
    "year-1": "0001-01-01T00:00:00.000Z",
    "year-1-offset": "0001-01-01T00:30:00+01:00",
    "year-9999": "9999-12-31T23:59:59.999Z",
    "year-9999-offset": "9999-12-31T23:59:59-01:00",
    "year-10000": "+010000-01-01T00:00:00Z",
    "epoch": "1970-01-01T00:00:00Z",
    "not-a-date": "yesterday",
    "empty-date": "",
    "huge-date": "2026-" + "1" * 10_000,
    "naive": "2026-11-20T14:03:11",
}


def mastodon_cases(tracker: str = TRACKER.format(port=9)) -> Iterator[HostileCase]:
    number = 0

    def case(name: str, mutate: Mutation, expect: str = "either", forbidden=()) -> HostileCase:
        nonlocal number
        number += 1
        payload = mastodon_template(number)
        payload["status"]["account"]["id"] = str(300_000_000 + number)  # an author per case
        mutate(payload)
        return HostileCase(f"mastodon-{name}", "mastodon", payload, expect, tuple(forbidden))

    for name, html in hostile_html(tracker).items():
        yield case(f"html-{name}", _set("status.content", html), "stored", _FORBIDDEN_HTML)
    for name, text in _TRICKY_TEXT.items():
        yield case(f"text-{name}", _set("status.content", f"<p>{text}</p>"), "stored")
    for name, handle in _TRICKY_HANDLES.items():
        acct = f"{handle}@toot.example" if handle else ""
        expect = "skipped" if not handle else "either"
        yield case(f"handle-{name}", _set("status.account.acct", acct), expect)
        yield case(f"display-name-{name}", _set("status.account.display_name", handle), "stored")
    for field in _MASTODON_FIELDS:
        for kind, value in _WRONG_VALUES.items():
            yield case(f"wrong-{kind}-{field}", _set(field, value))
        yield case(f"missing-{field}", _delete(field))
    for name, value in {
        "huge-int": 10**30,
        "gigantic-int": 10**5000,
        "huge-string": "9" * 100_000,
        "negative": -1,
        "zero": 0,
        "empty": "",
        "non-digits": "../../etc/passwd",
    }.items():
        yield case(f"status-id-{name}", _set("status.id", value))
        yield case(f"notification-id-{name}", _set("id", value))
    for name, moment in _FAR_TIMES.items():
        yield case(f"time-{name}", _set("status.created_at", moment))
    yield case(
        "attachment-description-hostile",
        _set(
            "status.media_attachments",
            [{"type": "<b>image</b>", "description": "\u202e" + "alt " * 50_000}, "junk", None],
        ),
        "stored",
    )
    yield case(
        "spoiler-huge",
        _set("status.spoiler_text", "cw " * MB),
        "stored",
    )


# --- Bluesky cases ------------------------------------------------------------------------------

_BLUESKY_FIELDS = (
    "uri",
    "cid",
    "reason",
    "author",
    "author.did",
    "author.handle",
    "author.displayName",
    "author.avatar",
    "record",
    "record.text",
    "record.createdAt",
    "record.langs",
    "record.facets",
    "record.reply",
    "record.embed",
    "indexedAt",
)


def _facets(count: int, text: str) -> list[dict[str, Any]]:
    size = len(text.encode())
    return [
        {
            "index": {"byteStart": (n * 7) % max(size, 1), "byteEnd": (n * 7) % max(size, 1) + 5},
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": f"did:plc:{n}"}],
        }
        for n in range(count)
    ]


def bluesky_cases(tracker: str = TRACKER.format(port=9)) -> Iterator[HostileCase]:
    number = 0

    def case(name: str, mutate: Mutation, expect: str = "either", forbidden=()) -> HostileCase:
        nonlocal number
        number += 1
        payload = bluesky_template(number)
        payload["author"]["did"] = f"did:plc:hostileauthor{number:05d}"  # an author per case
        mutate(payload)
        return HostileCase(f"bluesky-{name}", "bluesky", payload, expect, tuple(forbidden))

    # Bluesky text is plain: markup in it must show as the characters typed, never act.
    for name in ("script", "onerror-img", "iframe", "javascript-link", "style-attr-url"):
        yield case(
            f"markup-as-text-{name}",
            _set("record.text", hostile_html(tracker)[name]),
            "stored",  # the stored HTML is checked for anything active, tag by tag
        )
    for name, text in _TRICKY_TEXT.items():
        yield case(f"text-{name}", _set("record.text", text), "stored")
    for name, handle in _TRICKY_HANDLES.items():
        yield case(f"handle-{name}", _set("author.handle", handle))
        yield case(f"display-name-{name}", _set("author.displayName", handle), "stored")
    for field in _BLUESKY_FIELDS:
        for kind, value in _WRONG_VALUES.items():
            yield case(f"wrong-{kind}-{field}", _set(field, value))
        yield case(f"missing-{field}", _delete(field))
    for name, moment in _FAR_TIMES.items():
        yield case(f"time-{name}", _set("record.createdAt", moment))
    mentions_text = " ".join(f"@u{n}.bsky.social" for n in range(10_000))
    yield case(
        "ten-thousand-mentions",
        lambda p: (
            _set("record.text", mentions_text)(p),
            _set("record.facets", _facets(10_000, mentions_text))(p),
        ),
        "stored",
    )
    yield case(
        "facet-hostile-links",
        _set(
            "record.facets",
            [
                {
                    "index": {"byteStart": 0, "byteEnd": 3},
                    "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}],
                }
                for uri in ("javascript:alert(1)", "data:text/html,x", f"{tracker}/'\"><script>")
            ],
        ),
        "stored",
        ("javascript:", "data:", "<script"),
    )
    yield case(
        "facet-out-of-range",
        _set(
            "record.facets",
            [
                {"index": {"byteStart": -5, "byteEnd": 10**12}, "features": [{}]},
                {"index": {"byteStart": "a", "byteEnd": None}, "features": "x"},
                {"index": {"byteStart": 3, "byteEnd": 2}, "features": ["not-a-feature"]},
            ],
        ),
        "stored",
    )
    yield case(
        "embed-nesting",
        _set(
            "record.embed",
            _nested_embed(400),
        ),
    )
    yield case("reason-like", _set("reason", "like"), "skipped")
    yield case("own-post", _set("author.did", BLUESKY_OWN_DID), "skipped")


def _nested_embed(depth: int) -> dict[str, Any]:
    embed: dict[str, Any] = {"$type": "app.bsky.embed.images", "images": [{"alt": "bottom"}]}
    for _ in range(depth):
        embed = {"$type": "app.bsky.embed.recordWithMedia", "record": embed}
    return embed


def all_cases(tracker: str = TRACKER.format(port=9)) -> list[HostileCase]:
    return [*mastodon_cases(tracker), *bluesky_cases(tracker)]


if __name__ == "__main__":
    cases = all_cases()
    print(f"{len(cases)} cases:", sum(c.network == "mastodon" for c in cases), "Mastodon,",
          sum(c.network == "bluesky" for c in cases), "Bluesky")  # fmt: skip
