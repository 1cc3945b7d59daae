"""A Mastodon server installed under a sub-path stays there, and one server is one server
however its name is spelled (issue 18, item 6)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from storage.accounts import AccountRepository
from storage.records import Network, NewAccount, OutboxState
from storage.store import Store

from app.bootstrap import Workspace
from app.inbox.service import InboxView, inbox_filter

from tests.peers.mastodon import MastodonPeer

PREFIX = "/social"


class SubPathServer:
    """The peer as if installed under https://host/social: requests under the prefix go to
    it without the prefix; anything else is a 404 (where a client that dropped the path
    would land). Records each path asked for."""

    def __init__(self, upstream: str) -> None:
        self.paths: list[str] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                service.paths.append(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if not self.path.startswith(PREFIX + "/"):
                    self._send(404, b'{"error":"Not found"}', {"Content-Type": "application/json"})
                    return
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "content-length")
                }
                answer = requests.request(
                    self.command, upstream + self.path[len(PREFIX):], data=body,
                    headers=headers, timeout=10, allow_redirects=False,
                )  # fmt: skip
                kept = {k: v for k, v in answer.headers.items() if k.lower().startswith(
                    ("content-type", "x-ratelimit", "link"))}  # fmt: skip
                self._send(answer.status_code, answer.content, kept)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}{PREFIX}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def sub_path(mastodon_peer: MastodonPeer) -> Iterator[SubPathServer]:
    server = SubPathServer(mastodon_peer.base_url)
    yield server
    server.close()


@pytest.mark.mastodon
@pytest.mark.usefixtures("secret_service")
def test_a_server_under_a_sub_path_is_reached_there_for_everything(
    workspace: Workspace, mastodon_peer: MastodonPeer, sub_path: SubPathServer
) -> None:
    brand, customer = mastodon_peer.new_account(), mastodon_peer.new_account()
    account = workspace.account_service.finish_mastodon_sign_in(sub_path.url + "/", brand.token)
    assert account.server == sub_path.url  # the path kept, the slash dropped
    customer.post(f"@{brand.username} is the shop open?")

    workspace.sync.sync_account(account)
    [row] = workspace.inbox.list_rows(inbox_filter(InboxView.ALL), 5)
    item = workspace.replies.queue(row.id, "Yes, until 18:00!").item
    workspace.sync.sync_account(workspace.accounts.get(account.id), pull=False)

    assert workspace.outbox.get(item.id).state is OutboxState.SENT
    assert workspace.accounts.get(account.id).max_post_length == 500  # /api/v2/instance there
    assert sub_path.paths  # every request went under the prefix
    assert all(path.startswith(PREFIX + "/") for path in sub_path.paths), sub_path.paths


def test_one_server_however_its_international_name_is_spelled(store: Store) -> None:
    accounts = AccountRepository(store)
    added = accounts.add(
        NewAccount(Network.MASTODON, "https://Bücher.example/", "kari", platform_user_id="109")
    )
    for spelling in ("https://xn--bcher-kva.example", "bücher.example", "https://BÜCHER.EXAMPLE"):
        assert accounts.find_user(Network.MASTODON, spelling, "109") == added
