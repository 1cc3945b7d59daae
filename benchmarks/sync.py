"""Sync wall time: Heedful fetching and storing N mentions from a local Mastodon server,
against Mastodon.py paging the same notifications and storing nothing.

The server is mastodon-mock on loopback (tests/peers/mastodon.py, the peer the integration
tests use). Customers post N statuses mentioning the brand; then, alternately, Heedful's
SyncService syncs the brand's account into a fresh workspace (fetch, parse, store, cursor)
and plain Mastodon.py pages through the same mention notifications with the same page
size. Secrets go to an in-memory keyring inside this process: a benchmark must not write to
the user's keyring.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import keyring
import keyring.backend
import mastodon as mastodon_py

from app.bootstrap import StartupOptions, build_workspace
from app.demo.generator import demo_accounts, demo_mentions
from app.networks.mastodon.connector import PAGE_SIZE

from benchmarks.report import Measure
from benchmarks.stores import GENERATED_AT
from tests.peers.mastodon import MastodonPeer, PeerAccount

CUSTOMERS = 20


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Secrets in a dict, for this process only."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._secrets.pop((service, username), None)


def _texts(count: int) -> list[str]:
    ids = {account.handle: number for number, account in enumerate(demo_accounts(), start=1)}
    texts = [item.text for item in demo_mentions(ids, GENERATED_AT) if not item.is_own]
    return [texts[number % len(texts)][:400] for number in range(count)]


def _post_mentions(peer: MastodonPeer, brand: PeerAccount, count: int) -> None:
    customers = [peer.new_account() for _ in range(CUSTOMERS)]
    for number, text in enumerate(_texts(count)):
        customers[number % CUSTOMERS].post(f"@{brand.username} {text}")


def _heedful_sync(peer: MastodonPeer, brand: PeerAccount, count: int) -> float:
    with tempfile.TemporaryDirectory(prefix="heedful-bench-sync-") as folder:
        workspace = build_workspace(StartupOptions(home=Path(folder)))
        try:
            account = workspace.account_service.finish_mastodon_sign_in(
                peer.base_url, peer.issue_token(brand.username)
            )
            began = time.perf_counter()
            report = workspace.sync.sync_account(account)
            took = time.perf_counter() - began
        finally:
            workspace.close()
    if report.added != count:
        raise RuntimeError(f"Heedful synced {report.added} of {count} mentions: {report.detail}")
    return took


def _plain_paging(peer: MastodonPeer, brand: PeerAccount, count: int) -> float:
    api = mastodon_py.Mastodon(
        access_token=peer.issue_token(brand.username), api_base_url=peer.base_url
    )
    began = time.perf_counter()
    seen, position = 0, "0"
    while True:
        batch = api.notifications(types=["mention"], min_id=position, limit=PAGE_SIZE)
        if not batch:
            break
        seen += len(batch)
        position = str(max(int(item["id"]) for item in batch))
    took = time.perf_counter() - began
    if seen != count:
        raise RuntimeError(f"Mastodon.py paged {seen} of {count} notifications")
    return took


def run(count: int, *, repeat: int) -> list[Measure]:
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        with MastodonPeer() as peer:
            brand = peer.new_account("brand")
            _post_mentions(peer, brand, count)
            heedful_s, plain_s = [], []
            for _ in range(repeat):
                plain_s.append(_plain_paging(peer, brand, count))
                heedful_s.append(_heedful_sync(peer, brand, count))
    finally:
        keyring.set_keyring(previous)
    heedful, plain = statistics.median(heedful_s) * 1000, statistics.median(plain_s) * 1000
    return [
        Measure(
            "Sync",
            f"{count:,} mentions from local Mastodon (wall time)",
            heedful,
            "ms",
            plain,
            "Mastodon.py paging, no storage",
            "≤ 1.2×",
            heedful <= 1.2 * plain,
        )
    ]
