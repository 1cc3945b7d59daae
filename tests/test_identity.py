"""Natural keys and global ids: a mention is found by what the world calls it (network, server,
account, platform id) whatever the local row ids are; triage events, notes, snippets and views
carry UUIDs; accounts are one per platform user on a server, in one spelling of the server."""

from __future__ import annotations

import re
import sqlite3
import uuid
from pathlib import Path

import pytest

from storage.accounts import AccountRepository
from storage.identity import MentionKey, NaturalKeys, ServerAddressError, normalize_server
from storage.mentions import InboxFilter, MentionRepository
from storage.records import Network, NewAccount, TriageStatus, utc_now
from storage.snippets import NewSnippet, SnippetRepository, SnippetVariant
from storage.store import Store, open_store
from storage.triage import TriageRepository
from storage.views import SavedViewRepository

from app.bootstrap import Workspace

from tests.factories import mention


@pytest.mark.parametrize(
    ("typed", "spelled"),
    [
        ("social.example", "https://social.example"),
        ("Social.Example", "https://social.example"),
        ("HTTPS://SOCIAL.EXAMPLE:443/", "https://social.example"),
        ("https://social.example.", "https://social.example"),
        ("http://localhost:80", "http://localhost"),
        ("https://social.example:8443", "https://social.example:8443"),
        ("https://example.org/mastodon/", "https://example.org/mastodon"),
        ("https://example.org/Mastodon", "https://example.org/Mastodon"),  # paths keep case
        ("https://bücher.example", "https://xn--bcher-kva.example"),
        ("https://BÜCHER.example", "https://xn--bcher-kva.example"),
        ("https://straße.example", "https://xn--strae-oqa.example"),  # IDNA 2008: ß stays
        ("http://[0:0::1]:2583/", "http://[::1]:2583"),
        ("  https://social.example  ", "https://social.example"),
    ],
)
def test_a_server_address_has_one_spelling(typed: str, spelled: str) -> None:
    assert normalize_server(typed) == spelled
    assert normalize_server(spelled) == spelled  # and it is a fixed point


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "https://",
        "ftp://social.example",
        "https://kari:secret@social.example",
        "https://social.example/?instance=1",
        "https://social.example/#about",
        "https://social.example:99999",
        "https://xn--a.example",  # not valid punycode
        "https://soc ial.example",
        "https://social..example",
    ],
)
def test_what_cannot_be_a_server_address_is_refused(typed: str) -> None:
    with pytest.raises(ServerAddressError):
        normalize_server(typed)


@pytest.fixture
def accounts(store: Store) -> AccountRepository:
    return AccountRepository(store)


def _brand(server: str = "https://social.example", handle: str = "fjellform") -> NewAccount:
    return NewAccount(Network.MASTODON, server, handle, "Fjellform", platform_user_id="109")


def test_a_mention_is_found_by_its_natural_key(store: Store, accounts: AccountRepository) -> None:
    account = accounts.add(_brand("Social.Example/"))
    assert account.server == "https://social.example"  # stored in the one spelling
    sky = accounts.add(
        NewAccount(Network.BLUESKY, "https://bsky.example", "fjellform.bsky.social", "",
                   platform_user_id="did:plc:fjellform")
    )  # fmt: skip
    MentionRepository(store).ingest(
        [mention(account.id, n) for n in range(3)] + [mention(sky.id, 1)]
    )
    ids = MentionRepository(store).page(InboxFilter(), None, 10).ids
    keys = NaturalKeys(store)
    found = {mention_id: keys.key_of(mention_id) for mention_id in ids}
    assert len(set(found.values())) == 4  # one mention each, though two share a platform id
    mastodon = next(k for k in found.values() if k is not None and k.network is Network.MASTODON)
    assert mastodon.server == "https://social.example"
    assert mastodon.account == "109"
    for mention_id, key in found.items():
        assert key is not None
        assert keys.mention_for(key) == mention_id
    # A teammate's laptop may spell the server otherwise: the same mention.
    other_spelling = MentionKey(
        mastodon.network, "HTTPS://social.example:443", mastodon.account, mastodon.platform_id
    )
    assert keys.mention_for(other_spelling) == keys.mention_for(mastodon)
    assert (
        keys.mention_for(MentionKey(Network.MASTODON, "https://social.example", "109", "x")) is None
    )
    assert keys.mention_for(MentionKey(Network.MASTODON, "https://other.example", "109",
                                       mastodon.platform_id)) is None  # fmt: skip
    assert keys.keys_of(ids) == {i: k for i, k in found.items() if k is not None}
    with pytest.raises(KeyError):
        keys.key_of(max(ids) + 1)


def test_an_account_without_its_platform_user_id_has_no_keys(
    store: Store, accounts: AccountRepository
) -> None:
    account = accounts.add(NewAccount(Network.MASTODON, "https://social.example", "old"))
    MentionRepository(store).ingest([mention(account.id, 1)])
    (mention_id,) = MentionRepository(store).page(InboxFilter(), None, 10).ids
    assert NaturalKeys(store).key_of(mention_id) is None


def test_one_account_per_platform_user_on_a_server(accounts: AccountRepository) -> None:
    first = accounts.add(_brand())
    with pytest.raises(sqlite3.IntegrityError):
        accounts.add(_brand(handle="fjellform_no"))  # the same user, under another handle
    accounts.add(_brand("https://other.example"))  # the same id on another server is another
    accounts.add(NewAccount(Network.MASTODON, "https://social.example", "a"))  # no ids: fine
    accounts.add(NewAccount(Network.MASTODON, "https://social.example", "b"))
    assert accounts.find_user(Network.MASTODON, "social.example/", "109") == first


def test_signing_in_again_under_a_new_handle_keeps_the_account(workspace: Workspace) -> None:
    """A Bluesky handle change: the DID is the same, so it is the same account, now filed
    under the new handle (its fresh keyring entry is), with everything fetched for it."""
    service = workspace.account_service
    accounts = workspace.accounts
    old = accounts.add(
        NewAccount(Network.BLUESKY, "https://bsky.example", "fjellform.bsky.social",
                   platform_user_id="did:plc:fjellform")
    )  # fmt: skip
    workspace.mentions.ingest([mention(old.id, 1)])
    again = service._known(  # what both sign-in flows ask once the network said who it is
        Network.BLUESKY, "https://bsky.example", "fjellform.no", "did:plc:fjellform"
    )
    assert again is not None
    assert again.id == old.id
    assert again.handle == "fjellform.no"
    assert accounts.count() == 1
    assert workspace.mentions.count(InboxFilter()) == 1


# --- global ids --------------------------------------------------------------------------------

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
_WITH_UUIDS = ("triage_events", "notes", "snippets", "snippet_variants", "saved_views")


def _uuids(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[0] for row in conn.execute(f"SELECT uuid FROM {table} ORDER BY id")]


def test_rows_written_by_the_existing_code_get_a_uuid_each(store: Store) -> None:
    account_id = AccountRepository(store).add(_brand()).id
    MentionRepository(store).ingest([mention(account_id, n) for n in range(3)])
    ids = MentionRepository(store).page(InboxFilter(), None, 10).ids
    triage = TriageRepository(store)
    triage.set_field(ids, "status", TriageStatus.DONE.value, actor="Ingrid", at=utc_now())
    triage.add_note(ids[0], "Called her back", actor="Ingrid", at=utc_now())
    triage.add_note(ids[1], "Refund sent", actor="Ingrid", at=utc_now())
    snippets = SnippetRepository(store)
    variant = SnippetVariant("Beklager, {customer.first_name}!", language="nb")
    snippets.add(
        NewSnippet("Sorry", "Sorry about that, {customer.first_name}!", variants=(variant,))
    )
    snippets.add(NewSnippet(title="Thanks", body="Thank you!"))
    SavedViewRepository(store).add("Billing", "tag:billing")
    for table in _WITH_UUIDS:
        found = _uuids(store.conn, table)
        assert found, table
        assert all(_UUID.match(u) for u in found), found
        assert len(set(found)) == len(found)
        assert all(uuid.UUID(u).version == 4 for u in found)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.write() as db:
        db.execute("UPDATE triage_events SET new_value = 'open'")


def test_upgrading_gives_every_existing_row_its_own_uuid(tmp_path: Path) -> None:
    from tests.test_migrations_every_version import fill_as_of

    path = tmp_path / "heedful.db"
    old = open_store(path, target_version=9)
    fill_as_of(old.conn, 9)
    counts = {t: old.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in _WITH_UUIDS}
    old.close()
    upgraded = open_store(path)
    try:
        for table in _WITH_UUIDS:
            found = _uuids(upgraded.conn, table)
            assert len(found) == counts[table] > 0
            assert len(set(found)) == len(found)
            assert all(_UUID.match(u) for u in found)
        brands = upgraded.conn.execute("SELECT DISTINCT brand FROM accounts").fetchall()
        assert brands == [("",)]
    finally:
        upgraded.close()


def test_an_account_added_twice_under_two_handles_keeps_its_id_on_the_newest_row(
    tmp_path: Path,
) -> None:
    path = tmp_path / "heedful.db"
    old = open_store(path, target_version=9)
    for handle in ("fjellform.bsky.social", "fjellform.no"):
        old.conn.execute(
            "INSERT INTO accounts (network, server, handle, platform_user_id, created_at)"
            " VALUES ('bluesky', 'https://bsky.example', ?, 'did:plc:f', '2026-10-01T00:00Z')",
            [handle],
        )
    old.conn.commit()
    old.close()
    upgraded = open_store(path)
    try:
        rows = upgraded.conn.execute(
            "SELECT handle, platform_user_id FROM accounts ORDER BY id"
        ).fetchall()
        assert rows == [("fjellform.bsky.social", None), ("fjellform.no", "did:plc:f")]
    finally:
        upgraded.close()
