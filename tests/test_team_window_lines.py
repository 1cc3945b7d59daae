"""A window and a teammate's command line on one team (a real NATS server, a real Mastodon-API
server): the held-reply line's Send anyway, Discard and Edit; a teammate's reply queued in the
banner and on the row; the conflict line's Apply mine anyway."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest

from pytestqt.qtbot import QtBot

from storage.records import OutboxState, TriageStatus

from ui.main_window import MainWindow

from tests.peers.mastodon import MastodonPeer, PeerAccount
from tests.peers.nats_server import NatsPeer
from tests.team_helpers import Laptop, team_of_laptops

pytestmark = [pytest.mark.usefixtures("secret_service"), pytest.mark.mastodon]


def open_window(qtbot: QtBot, laptop: Laptop) -> MainWindow:
    window = MainWindow(laptop.workspace)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: "connected" in window.team.status_label.text(), timeout=10000)
    return window


def replies_to(brand: PeerAccount, post: str) -> list[str]:
    statuses = brand.request("GET", f"/api/v1/accounts/{brand.id}/statuses").json()
    return [s["content"] for s in statuses if s.get("in_reply_to_id") == post]


def queued_by(peer: NatsPeer, laptop: Laptop) -> set[str]:
    """The mentions (digests) the team's presence bucket says `laptop`'s user has a reply
    queued on, read as a teammate's laptop would (off the Qt thread: a loop of its own)."""
    from app.team.connection import TeamConnection, TeamCredentials
    from app.team.presence import Activity, decode_presence
    from app.team.wire import TeamLayout

    membership = laptop.workspace.team.membership()
    assert membership is not None
    found: set[str] = set()

    async def read() -> None:
        connection = await TeamConnection.open(
            peer.url,
            TeamCredentials("ola", peer.password("ola")),
            TeamLayout(membership.team),
            reconnect=False,
        )
        try:
            await connection.ensure_layout()
            assert connection.presence is not None
            try:
                keys = await connection.presence.keys()
            except Exception:  # no keys at all
                return
            for key in keys:
                entry = await connection.presence.get(key)
                said = decode_presence(entry.value or b"")
                if said.user == laptop.user and said.activity is Activity.QUEUED:
                    found.add(said.mention)
        finally:
            await connection.close()

    reader = threading.Thread(target=asyncio.run, args=(read(),))
    reader.start()
    reader.join(20)
    return found


def send_from_window(qtbot: QtBot, window: MainWindow, mention_id: int, text: str) -> None:
    assert window.inbox_panel.select_mention(mention_id)
    box = window.detail_pane.reply_box
    box.editor.setPlainText(text)
    qtbot.waitUntil(box.send_button.isEnabled, timeout=3000)
    box.send_button.click()


def test_the_held_line_sends_anyway_discards_or_edits_and_nothing_goes_unasked(
    qtbot: QtBot, nats_peer: NatsPeer, mastodon_peer: MastodonPeer, tmp_path: Path
) -> None:
    with team_of_laptops(nats_peer, mastodon_peer, tmp_path, ("kari", "ola")) as (
        (kari, ola),
        brand,
        posts,
    ):
        # Ola answers all three from her command line first: each claim is hers.
        answering = [
            ola.start("reply", ola.id_of(post), "--text", f"Ola on {n}.")
            for n, post in enumerate(posts)
        ]
        for process in answering:
            process.communicate(timeout=60)
            assert process.returncode == 0
        window = open_window(qtbot, kari)
        try:
            line = window.team.held_line
            held = {}
            for post in posts:
                mention = int(kari.id_of(post))
                send_from_window(qtbot, window, mention, f"Kari answers {post} too.")
                qtbot.waitUntil(line.isVisible, timeout=10000)
                assert line.text().startswith("<b>Held: Ola replied ")
                assert "nothing was posted" in line.text()
                held[post] = kari.workspace.outbox_service.latest_for_mention(mention)
            for post in posts:
                assert len(replies_to(brand, post)) == 1  # Ola's only: nothing went unasked
            # Kari's window tells the team her three replies are queued (held ones are).
            digests = {}
            for post in posts:
                key = kari.workspace.team.key_of(int(kari.id_of(post)))
                assert key is not None
                digests[post] = key.digest
            qtbot.waitUntil(
                lambda: queued_by(nats_peer, kari) == set(digests.values()), timeout=5000
            )

            discard, edit, anyway = posts
            # Discard: out of the outbox, nothing posted.
            assert window.inbox_panel.select_mention(int(kari.id_of(discard)))
            qtbot.waitUntil(line.isVisible, timeout=3000)
            line.linkActivated.emit("discard")
            qtbot.waitUntil(lambda: not line.isVisible(), timeout=3000)
            qtbot.waitUntil(
                lambda: digests[discard] not in queued_by(nats_peer, kari), timeout=5000
            )
            # Edit: out of the outbox, the text back in the editor to work on.
            assert window.inbox_panel.select_mention(int(kari.id_of(edit)))
            qtbot.waitUntil(line.isVisible, timeout=3000)
            line.linkActivated.emit("edit")
            box = window.detail_pane.reply_box
            assert box.editor.toPlainText() == f"Kari answers {edit} too."
            assert not line.isVisible()
            # Send anyway: posted beside Ola's, because Kari said so.
            assert window.inbox_panel.select_mention(int(kari.id_of(anyway)))
            qtbot.waitUntil(line.isVisible, timeout=3000)
            line.linkActivated.emit("send")
            item = held[anyway]
            assert item is not None
            qtbot.waitUntil(
                lambda: kari.workspace.outbox.get(item.id).state is OutboxState.SENT, timeout=15000
            )
            assert not line.isVisible()
            assert len(replies_to(brand, discard)) == len(replies_to(brand, edit)) == 1
            assert len(replies_to(brand, anyway)) == 2
            assert [i.mention_id for i in kari.workspace.outbox.all()] == [int(kari.id_of(anyway))]
        finally:
            window.close()


def test_a_teammates_queued_reply_shows_and_the_conflict_line_applies_mine_anyway(
    qtbot: QtBot, nats_peer: NatsPeer, mastodon_peer: MastodonPeer, tmp_path: Path
) -> None:
    with team_of_laptops(nats_peer, mastodon_peer, tmp_path, ("kari", "ola")) as (
        (kari, ola),
        _brand,
        posts,
    ):
        window = open_window(qtbot, kari)
        try:
            first, second = int(kari.id_of(posts[0])), int(kari.id_of(posts[1]))
            # Kari answers first; Ola's reply from her command line is held by Kari's claim
            # and stays queued: Kari's window says so over the mention and on its row.
            send_from_window(qtbot, window, first, "Kari here, on it.")
            qtbot.waitUntil(
                lambda: [i.state for i in kari.workspace.outbox.all()] == [OutboxState.SENT],
                timeout=15000,
            )
            ola.run("reply", ola.id_of(posts[0]), "--text", "Ola here, on it.", expect=1)
            banner = window.team.banner
            qtbot.waitUntil(lambda: banner.text() == "Ola has a reply queued", timeout=2000)
            assert banner.isVisible()
            assert window.team._badges(first) == ["Ola replying"]
            # Ola discards hers: it is gone from Kari's banner at once, not when it expires.
            [held] = json.loads(ola.run("team", "held", "--json").stdout)
            ola.run("team", "discard", str(held["outbox_id"]))
            qtbot.waitUntil(lambda: not banner.isVisible(), timeout=3000)

            # Offline, Kari marks the second done; Ola sets it open first, from the same version.
            kari.relay.cut()
            qtbot.waitUntil(lambda: "offline" in window.team.status_label.text(), timeout=10000)
            assert window.inbox_panel.select_mention(second)
            window.triage_actions._status(TriageStatus.DONE)
            ola.run("triage", ola.id_of(posts[1]), "--status", "open")
            kari.relay.restore()
            # Ola's came first: hers stands, the mention is open again and back in the list.
            qtbot.waitUntil(lambda: bool(kari.workspace.team.conflicts(second)), timeout=15000)
            assert kari.workspace.triage.state(second).status is TriageStatus.OPEN
            assert window.inbox_panel.select_mention(second)
            conflict = window.team.conflict_line
            qtbot.waitUntil(conflict.isVisible, timeout=3000)
            text = conflict.text()
            assert "Your change (status: done) was not applied: Ola set open at " in text
            assert "Apply mine anyway" in text
            [found] = kari.workspace.team.conflicts(second)
            conflict.linkActivated.emit(found.uuid)
            assert kari.workspace.triage.state(second).status is TriageStatus.DONE
            qtbot.waitUntil(lambda: not conflict.isVisible(), timeout=3000)
            qtbot.waitUntil(lambda: kari.workspace.team.facts().unconfirmed == 0, timeout=10000)
            ola.run("team", "sync")
            assert ola.workspace.triage.state(int(ola.id_of(posts[1]))).status is TriageStatus.DONE
        finally:
            window.close()
