"""Rendering mentions never fetches anything: the hostile corpus, pointed at a local HTTP
server that records every request, is stored and shown in the detail pane: zero requests.
The same test renders every stored corpus item (no crash, no hang, handles unambiguous)."""

from __future__ import annotations

import http.server
import threading
import urllib.request
from collections.abc import Iterator

import pytest

from pytestqt.qtbot import QtBot

from storage.accounts import AccountRepository
from storage.drafts import DraftRepository
from storage.records import Network

from app.bootstrap import Workspace

from ui.inbox.detail_pane import DetailPane, SafeTextBrowser

from tests.factories import brand_account
from tests.hostile.corpus import all_cases
from tests.hostile.harness import bounded, run_case


class RecordingServer:
    """Answers every request with a 1x1 GIF or a stylesheet, and remembers the path."""

    GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"  # noqa: E501

    def __init__(self) -> None:
        self.requests: list[str] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/gif")
                self.send_header("Content-Length", str(len(recorder.GIF)))
                self.end_headers()
                self.wfile.write(recorder.GIF)

            def log_message(self, *_args: object) -> None:
                pass

        # One request at a time, in the order they connected: `settled()` relies on it.
        self._server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def settled(self) -> list[str]:
        """The requests made before now: a request of our own is answered only after every
        connection opened before it (no fixed wait for stragglers)."""
        with urllib.request.urlopen(f"{self.url}/settled", timeout=10) as answer:
            answer.read()
        return [path for path in self.requests if path != "/settled"]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def tracker() -> Iterator[RecordingServer]:
    server = RecordingServer()
    yield server
    server.close()


def test_the_recording_server_does_record(tracker: RecordingServer) -> None:
    """The control: a real fetch is counted, so zero below means nothing was fetched."""
    with urllib.request.urlopen(f"{tracker.url}/control.gif", timeout=5) as answer:
        assert answer.read() == RecordingServer.GIF
    assert tracker.requests == ["/control.gif"]


def test_rendering_the_hostile_corpus_fetches_nothing(
    qtbot: QtBot, workspace: Workspace, tracker: RecordingServer
) -> None:
    accounts = AccountRepository(workspace.store)
    ids = {
        "mastodon": accounts.add(brand_account(Network.MASTODON)).id,
        "bluesky": accounts.add(brand_account(Network.BLUESKY)).id,
    }
    cases = all_cases(tracker.url)
    mention_ids: list[int] = []
    for serial, case in enumerate(cases):
        outcome = run_case(case, workspace.store, ids[case.network], serial)
        mention_ids += [
            workspace.store.conn.execute(
                "SELECT id FROM mentions WHERE account_id = ? AND platform_id = ?",
                [item.account_id, item.platform_id],
            ).fetchone()[0]
            for item in outcome.page.items
            if item.platform_id not in outcome.neighbour_ids
        ]
    assert len(mention_ids) > len(cases) // 2  # the hostile items that were stored

    pane = DetailPane(workspace.inbox, DraftRepository(workspace.store))
    qtbot.addWidget(pane)
    pane.resize(700, 500)
    pane.show()
    qtbot.waitExposed(pane)
    shown: dict[int, str] = {}
    for mention_id in mention_ids:
        with bounded():
            pane.show_mention(mention_id)
            pane.repaint()  # lay out and draw: where a browser would fetch images and styles
        shown[mention_id] = pane.plain_text()
    assert tracker.settled() == []
    assert all(text.strip() for text in shown.values())
    texts = "\n".join(shown.values())
    assert "ka<U+200B>ri@toot.example" in texts  # a look-alike handle, shown for what it is
    assert "\u202e" not in texts.split("\n", 1)[0]


def test_the_browser_loads_nothing_even_from_unsanitised_html(
    qtbot: QtBot, tracker: RecordingServer
) -> None:
    """Defence in depth: if unsanitised HTML ever reached the view, it still fetches nothing."""
    browser = SafeTextBrowser()
    qtbot.addWidget(browser)
    browser.show()
    qtbot.waitExposed(browser)
    browser.setHtml(
        f"<style>@import url({tracker.url}/i.css); p {{ background: url({tracker.url}/bg.png) }}"
        f'</style><p style="background-image:url({tracker.url}/inline.png)">text</p>'
        f'<img src="{tracker.url}/pixel.gif" width="1" height="1">'
        f'<iframe src="{tracker.url}/frame"></iframe>'
        f'<table background="{tracker.url}/table.png"><tr><td>cell</td></tr></table>'
        f'<link rel="stylesheet" href="{tracker.url}/s.css">'
        f'<link rel="prefetch" href="{tracker.url}/prefetch">'
    )
    browser.repaint()
    assert "text" in browser.toPlainText()
    assert tracker.settled() == []
