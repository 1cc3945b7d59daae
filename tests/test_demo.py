"""The demo workspace keeps its promises: volume, languages, kinds and the stories it tells."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from storage.records import MentionKind, Network, NewAccount, NewMention, TriageStatus

from app.demo.generator import BRAND_NAME, demo_accounts, demo_mentions

from tests import demo_fingerprint

NOW = datetime(2025, 3, 14, 15, 30, 12, tzinfo=UTC)
LANGUAGES = ("en", "nb", "de", "es", "fr")

ORDER = re.compile(r"\bFF-\d{6}\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(
    r"\+\d{2,3}(?: ?\d){8,12}"  # international: +47 912 34 567, +44 7700 900123
    r"|\b0\d{3,4} \d{6,8}\b"  # national: 07700 900123, 0176 12345678
    r"|\b[49]\d{2} \d{2} \d{3}\b"  # Norwegian without prefix: 912 34 567
    r"|\b0[67](?: \d{2}){4}\b"  # French: 06 39 98 12 34
)
DID = re.compile(r"did:plc:[a-z2-7]{24}")
RKEY = re.compile(r"[2-7a-z]{13}")
AT_URI = re.compile(r"at://(did:plc:[a-z2-7]{24})/app\.bsky\.feed\.post/([^/]+)")


@pytest.fixture(scope="module")
def accounts() -> tuple[NewAccount, ...]:
    return demo_accounts()


@pytest.fixture(scope="module")
def account_ids(accounts: tuple[NewAccount, ...]) -> dict[str, int]:
    return {account.handle: index for index, account in enumerate(accounts, start=11)}


@pytest.fixture(scope="module")
def mentions(account_ids: dict[str, int]) -> list[NewMention]:
    return demo_mentions(account_ids, NOW)


@pytest.fixture(scope="module")
def customer_posts(mentions: list[NewMention]) -> list[NewMention]:
    return [m for m in mentions if not m.is_own]


def has_pii(text: str) -> bool:
    return bool(ORDER.search(text) or EMAIL.search(text) or PHONE.search(text))


def test_accounts_cover_both_networks(accounts: tuple[NewAccount, ...]) -> None:
    assert 2 <= len(accounts) <= 3
    assert {a.network for a in accounts} == {Network.MASTODON, Network.BLUESKY}
    assert len({a.handle for a in accounts}) == len(accounts)
    assert all(a.platform_user_id for a in accounts)
    assert all(BRAND_NAME in a.display_name for a in accounts)


def test_there_is_a_month_of_traffic(mentions: list[NewMention]) -> None:
    assert len(mentions) >= 550


def test_every_time_is_aware_and_within_the_last_30_days(mentions: list[NewMention]) -> None:
    for m in mentions:
        assert m.created_at.utcoffset() == timedelta(0)
        assert NOW - timedelta(days=30) < m.created_at < NOW


def test_the_same_now_gives_the_same_workspace(
    account_ids: dict[str, int], mentions: list[NewMention]
) -> None:
    assert demo_mentions(account_ids, NOW) == mentions


def test_a_later_now_moves_the_workspace_along(account_ids: dict[str, int]) -> None:
    later = NOW + timedelta(days=3)
    moved = demo_mentions(account_ids, later)
    assert max(m.created_at for m in moved) > NOW
    assert all(later - timedelta(days=30) < m.created_at < later for m in moved)


def test_naive_now_is_refused(account_ids: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="naive"):
        demo_mentions(account_ids, NOW.replace(tzinfo=None))


def test_a_missing_account_id_is_named(account_ids: dict[str, int]) -> None:
    missing = next(iter(account_ids))
    partial = {handle: id_ for handle, id_ in account_ids.items() if handle != missing}
    with pytest.raises(KeyError, match=re.escape(missing)):
        demo_mentions(partial, NOW)


def test_all_five_languages_have_a_real_share(customer_posts: list[NewMention]) -> None:
    counts = Counter(m.language for m in customer_posts)
    assert set(counts) == set(LANGUAGES)
    share = {lang: counts[lang] / len(customer_posts) for lang in LANGUAGES}
    assert all(share[lang] >= 0.05 for lang in LANGUAGES), share
    assert counts.most_common(2)[0][0] == "en"
    assert counts.most_common(2)[1][0] == "nb"
    assert share["nb"] >= 0.2


def test_every_kind_is_there_in_numbers(customer_posts: list[NewMention]) -> None:
    counts = Counter(m.kind for m in customer_posts)
    assert counts[MentionKind.MENTION] > len(customer_posts) / 2
    for kind in (MentionKind.REPLY, MentionKind.QUOTE, MentionKind.DIRECT):
        assert counts[kind] >= 24, kind


def test_kinds_fit_their_network(mentions: list[NewMention]) -> None:
    for m in mentions:
        if m.kind is MentionKind.DIRECT:
            assert m.author.network is Network.MASTODON
            assert m.visibility == "direct"
        if m.kind is MentionKind.QUOTE:
            assert m.author.network is Network.BLUESKY
        if m.visibility == "direct":
            assert m.kind is MentionKind.DIRECT


def test_texts_are_written_not_templated(customer_posts: list[NewMention]) -> None:
    def base(text: str) -> str:
        text = ORDER.sub("#", EMAIL.sub("@", PHONE.sub("+", text)))
        return re.sub(r"@fjellform(?:\.bsky\.social)?", "", text).strip()

    assert len({base(m.text) for m in customer_posts}) >= 300
    assert not any("{" in m.text or "}" in m.text for m in customer_posts)
    assert not any("lorem" in m.text.lower() for m in customer_posts)


def test_many_different_people_write(customer_posts: list[NewMention]) -> None:
    authors = {(m.author.network, m.author.platform_id) for m in customer_posts}
    assert len(authors) >= 150


def test_authors_are_stable_and_look_real(customer_posts: list[NewMention]) -> None:
    seen: dict[tuple[Network, str], tuple[str, str]] = {}
    for m in customer_posts:
        a = m.author
        assert seen.setdefault((a.network, a.platform_id), (a.handle, a.display_name)) == (
            a.handle,
            a.display_name,
        )
        if a.network is Network.MASTODON:
            assert a.platform_id.isdigit()
            assert re.fullmatch(r"\w+@[\w.-]+\.example", a.handle), a.handle
        else:
            assert DID.fullmatch(a.platform_id), a.platform_id
            assert re.fullmatch(r"[a-z0-9-]+\.bsky\.social", a.handle), a.handle


def test_platform_ids_are_unique_per_account(mentions: list[NewMention]) -> None:
    keys = [(m.account_id, m.platform_id) for m in mentions]
    assert len(keys) == len(set(keys))


def test_platform_ids_and_links_look_like_the_networks(mentions: list[NewMention]) -> None:
    by_account: dict[int, list[NewMention]] = defaultdict(list)
    for m in mentions:
        by_account[m.account_id].append(m)
        assert m.url is not None
        if m.author.network is Network.MASTODON:
            assert re.fullmatch(r"\d{18}", m.platform_id)
            assert m.url.startswith("https://")
            assert m.url.endswith("/" + m.platform_id)
            assert m.platform_cid is None
        else:
            uri = AT_URI.fullmatch(m.platform_id)
            assert uri is not None, m.platform_id
            did, rkey = uri.groups()
            assert did == m.author.platform_id
            assert RKEY.fullmatch(rkey)
            assert m.url == f"https://bsky.app/profile/{m.author.handle}/post/{rkey}"
            assert m.platform_cid is not None
            assert m.platform_cid.startswith("bafyrei")
    for posts in by_account.values():
        # Snowflake ids and TIDs both sort the way the posts were written.
        posts.sort(key=lambda m: m.created_at)
        if posts[0].author.network is Network.MASTODON:
            assert [int(m.platform_id) for m in posts] == sorted(int(m.platform_id) for m in posts)
        else:
            rkeys = [m.platform_id.rsplit("/", 1)[1] for m in posts]
            assert rkeys == sorted(rkeys)


def test_mastodon_posts_carry_status_html(mentions: list[NewMention]) -> None:
    for m in mentions:
        if m.author.network is Network.BLUESKY:
            assert m.html is None
            continue
        assert m.html is not None
        assert m.html.startswith("<p>")
        assert m.html.endswith("</p>")
        assert '<span class="h-card" translate="no"><a href="https://' in m.html
        assert "{" not in m.html


def test_bluesky_posts_fit_the_grapheme_limit(mentions: list[NewMention]) -> None:
    assert all(len(m.text) <= 300 for m in mentions if m.author.network is Network.BLUESKY)


def test_one_customer_keeps_complaining(customer_posts: list[NewMention]) -> None:
    by_author: dict[str, list[NewMention]] = defaultdict(list)
    for m in customer_posts:
        by_author[m.author.platform_id].append(m)
    regular = max(by_author.values(), key=len)
    assert len(regular) >= 10
    times = sorted(m.created_at for m in regular)
    assert times[-1] - times[0] >= timedelta(days=5)
    orders = {o for m in regular for o in ORDER.findall(m.text)}
    assert len(orders) == 1, orders  # the same order, again and again


def test_an_outage_burst_comes_in_a_few_hours_ago(customer_posts: list[NewMention]) -> None:
    recent = sorted(
        (m for m in customer_posts if NOW - timedelta(hours=12) < m.created_at < NOW),
        key=lambda m: m.created_at,
    )
    best: list[NewMention] = []
    for start, first in enumerate(recent):
        hour = first.created_at + timedelta(hours=1)
        best = max(best, [m for m in recent[start:] if m.created_at <= hour], key=len)
    assert len(best) >= 25
    assert len({m.author.platform_id for m in best}) == len(best)
    assert len({m.language for m in best}) >= 4
    assert NOW - best[-1].created_at >= timedelta(hours=1)


def test_people_post_personal_data_in_public(customer_posts: list[NewMention]) -> None:
    with_pii = [m for m in customer_posts if has_pii(m.text)]
    public = [m for m in with_pii if m.kind is not MentionKind.DIRECT]
    assert len(with_pii) >= 15
    assert len(public) >= 15
    assert {m.language for m in public} == set(LANGUAGES)
    assert any(PHONE.search(m.text) and "+47" in m.text for m in with_pii)
    assert any(EMAIL.search(m.text) for m in public)


def test_brand_replies_answer_customers_in_their_thread(mentions: list[NewMention]) -> None:
    by_key = {(m.account_id, m.platform_id): m for m in mentions}
    brand_authors = {(a.network, a.platform_user_id) for a in demo_accounts()}
    own = [m for m in mentions if m.is_own]
    assert len(own) >= 40
    for reply in own:
        assert reply.kind is MentionKind.REPLY
        assert (reply.author.network, reply.author.platform_id) in brand_authors
        parent = by_key.get((reply.account_id, reply.parent_platform_id or ""))
        assert parent is not None, reply.text
        assert not parent.is_own
        assert reply.created_at > parent.created_at
        assert reply.language == parent.language
        assert reply.root_platform_id == (parent.root_platform_id or parent.platform_id)
        assert re.search(r"– [A-ZÅ][a-zíá]+$", reply.text), reply.text  # signed by a person


def test_some_customers_answer_back(mentions: list[NewMention]) -> None:
    by_key = {(m.account_id, m.platform_id): m for m in mentions}
    answers = [
        m
        for m in mentions
        if not m.is_own
        and (parent := by_key.get((m.account_id, m.parent_platform_id or ""))) is not None
        and parent.is_own
    ]
    assert len(answers) >= 15
    assert all(m.kind is MentionKind.REPLY for m in answers)


def test_answered_threads_are_mostly_handled(mentions: list[NewMention]) -> None:
    answered = {(m.account_id, m.parent_platform_id) for m in mentions if m.is_own}
    roots = [m for m in mentions if (m.account_id, m.platform_id) in answered]
    handled = [m for m in roots if m.status in (TriageStatus.DONE, TriageStatus.PENDING)]
    assert len(handled) >= 0.8 * len(roots)


def test_triage_looks_like_a_working_inbox(customer_posts: list[NewMention]) -> None:
    old = [m for m in customer_posts if NOW - m.created_at > timedelta(days=7)]
    recent = [m for m in customer_posts if NOW - m.created_at < timedelta(hours=24)]
    assert sum(m.status is TriageStatus.DONE for m in old) >= 0.7 * len(old)
    assert sum(m.status is TriageStatus.NEW for m in recent) >= 0.6 * len(recent)
    assert {m.status for m in customer_posts} == set(TriageStatus)
    tags = Counter(tag for m in customer_posts for tag in m.tags)
    assert {"delivery", "refund", "app", "outage", "praise"} <= set(tags)
    assert not any(m.tags for m in customer_posts if m.status is TriageStatus.NEW)


def test_traffic_follows_the_european_day(customer_posts: list[NewMention]) -> None:
    hours = Counter(m.created_at.hour for m in customer_posts)
    night = sum(hours[h] for h in (1, 2, 3, 4))
    evening = sum(hours[h] for h in (16, 17, 18, 19))
    assert evening > 4 * night


def test_the_demo_is_exactly_what_it_was_before_the_generator_was_split() -> None:
    """Captured from the one-module generator; the package must write the same bytes. A
    change to the demo made on purpose rewrites it (see tests/demo_fingerprint.py)."""
    expected = json.loads(demo_fingerprint.FINGERPRINT.read_text(encoding="utf-8"))
    assert demo_fingerprint.fingerprint() == expected
