"""Two windows on one machine, joined to one team: each shows the other's triage within a
second, and a presence banner (and a chip on the row) while the other is on a mention."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pytestqt.qtbot import QtBot

from storage.records import TriageStatus

from ui.main_window import MainWindow

from tests.peers.mastodon import MastodonPeer
from tests.peers.nats_server import NatsPeer
from tests.team_helpers import team_of_laptops

pytestmark = [pytest.mark.usefixtures("secret_service"), pytest.mark.mastodon]


def open_window(qtbot: QtBot, laptop) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(laptop.workspace)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_two_windows_see_each_others_triage_within_a_second_and_a_presence_banner(
    qtbot: QtBot, nats_peer: NatsPeer, mastodon_peer: MastodonPeer, tmp_path: Path
) -> None:
    with team_of_laptops(nats_peer, mastodon_peer, tmp_path, ("kari", "ola")) as (
        (kari, ola),
        _brand,
        posts,
    ):
        kari_window, ola_window = open_window(qtbot, kari), open_window(qtbot, ola)
        try:
            for window in (kari_window, ola_window):
                qtbot.waitUntil(
                    lambda w=window: "connected" in w.team.status_label.text(), timeout=10000
                )
            target = posts[0]
            k, o = int(kari.id_of(target)), int(ola.id_of(target))

            # Kari opens the mention and starts typing: Ola's window says so.
            assert kari_window.inbox_panel.select_mention(k)
            assert ola_window.inbox_panel.select_mention(o)
            qtbot.waitUntil(
                lambda: ola_window.team.presence.get(ola.workspace.team.key_of(o).digest),  # type: ignore[union-attr]
                timeout=2000,
            )
            qtbot.waitUntil(lambda: ola_window.team.banner.isVisible(), timeout=2000)
            assert ola_window.team.banner.text() == "Kari is viewing"
            assert "Kari here" in ola_window.team._badges(o)
            kari_window.detail_pane.reply_box.editor.setPlainText("Thanks for writing, we")
            qtbot.waitUntil(
                lambda: ola_window.team.banner.text() == "Kari is typing a reply", timeout=4000
            )

            # Kari marks it done in her window: Ola's list shows it within a second.
            began = time.monotonic()
            kari_window.triage_actions.done_and_next()
            qtbot.waitUntil(
                lambda: ola.workspace.triage.state(o).status is TriageStatus.DONE, timeout=1000
            )
            # ... and on screen: done, it leaves Ola's list of open work (the change dispatcher
            # merged it in; nothing was reloaded by hand).
            model = ola_window.inbox_panel.model
            qtbot.waitUntil(lambda: model.row_of(o) is None, timeout=1000)
            print(f"and Ola's list in {time.monotonic() - began:.3f} s")
            print(f"\nKari's change reached Ola's store in {time.monotonic() - began:.3f} s")
        finally:
            for window in (kari_window, ola_window):
                window.close()
