"""The snippet manager in a team (a real NATS server): a save of mine that a teammate's had
overtaken is offered as Keep both, Merge (the merge in the form, to check and save) or Keep
theirs, and what is chosen reaches the teammate."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from pytestqt.qtbot import QtBot

from storage.snippets import NewSnippet

from app.bootstrap import Workspace

from ui.compose.snippet_manager import SnippetManager

from tests.peers.nats_server import NatsPeer
from tests.team_helpers import join_off_this_thread, laptop

pytestmark = pytest.mark.usefixtures("secret_service")
T = TypeVar("T")


def off_thread(work: Callable[[], T]) -> T:
    """The team's calls run loops of their own: off the Qt test's thread (qasync's loop)."""
    found: list[T] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            found.append(work())
        except BaseException as problem:
            failed.append(problem)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(60)
    if failed:
        raise failed[0]
    return found[0]


def exchange(*laptops: Workspace) -> None:
    for workspace in laptops:

        def once(workspace: Workspace = workspace) -> None:
            own = workspace.open_again()
            try:
                own.team.exchange()
            finally:
                own.close()

        off_thread(once)


def test_the_manager_offers_keep_both_or_merge_and_the_choice_reaches_the_teammate(
    qtbot: QtBot, nats_peer: NatsPeer, tmp_path: Path
) -> None:
    team = nats_peer.new_team()
    kari, ola = laptop(tmp_path / "kari", "Kari"), laptop(tmp_path / "ola", "Ola")
    try:
        for name in ("kari", "ola"):
            join_off_this_thread(
                tmp_path / name, nats_peer.url, team, name, nats_peer.password(name)
            )
        added = kari.snippets.save(
            NewSnippet(title="Late", body="Sorry, it is late.", shortcut="late")
        ).snippet
        exchange(kari, ola)
        theirs = ola.snippets.repository.by_uuid(added.uuid)
        assert theirs is not None
        # Both edit it from the same version; Ola's reaches the team first.
        ola.snippets.save(
            dataclasses.replace(theirs.as_new(), title="Late parcel", body="Ola's text."), theirs.id
        )
        kari.snippets.save(dataclasses.replace(added.as_new(), body="Kari's text."), added.id)
        exchange(ola, kari)
        assert kari.snippets.repository.get(added.id).body == "Ola's text."  # theirs stands

        manager = SnippetManager(kari.composer, None)
        qtbot.addWidget(manager)
        manager.show()
        line = manager.team_line
        assert line.isVisible()
        assert "Your change to the snippet “Late” (/late) was not applied: Ola changed it at" in (
            line.text()
        )
        assert all(words in line.text() for words in ("Keep both", "Merge", "Keep theirs"))
        assert kari.team.library is not None
        [conflict] = kari.team.library.conflicts()

        # Merge: Ola's title (only she changed it); the text both changed keeps mine, and says
        # whose was what; nothing is written until Save.
        line.linkActivated.emit(f"merge:{conflict.id}")
        assert manager.title.text() == "Late parcel"
        assert manager.body.toPlainText() == "Kari's text."
        assert "you both changed the text" in manager.status.text()
        assert "the text, theirs: “Ola's text.”" in manager.status.text()
        assert kari.snippets.repository.get(added.id).body == "Ola's text."
        manager.body.setPlainText("Kari's and Ola's text.")
        saved = manager.save()
        assert saved is not None
        assert (saved.id, saved.uuid, saved.title) == (added.id, added.uuid, "Late parcel")
        assert not line.isVisible()
        exchange(kari, ola)
        merged = ola.snippets.repository.by_uuid(added.uuid)
        assert merged is not None
        assert (merged.title, merged.body) == ("Late parcel", "Kari's and Ola's text.")

        # Keep both: another round; Kari's goes beside Ola's, with the next free shortcut.
        ola.snippets.save(dataclasses.replace(merged.as_new(), body="Ola again."), merged.id)
        mine = kari.snippets.repository.get(added.id)
        kari.snippets.save(dataclasses.replace(mine.as_new(), body="Kari again."), mine.id)
        exchange(ola, kari)
        manager.reload()
        [conflict] = kari.team.library.conflicts()
        line.linkActivated.emit(f"both:{conflict.id}")
        assert not line.isVisible()
        assert manager.model.rowCount() == 2
        exchange(kari, ola)
        assert sorted((s.title, s.shortcut, s.body) for s in ola.snippets.all()) == [
            ("Late parcel", "late", "Ola again."),
            ("Late parcel (Kari)", "late-2", "Kari again."),
        ]
    finally:
        kari.close()
        ola.close()


def test_the_status_bar_offers_apply_mine_anyway_for_the_brand_voice(
    qtbot: QtBot, nats_peer: NatsPeer, tmp_path: Path
) -> None:
    from app.compose.brand import BrandProfile

    from ui.main_window import MainWindow

    team = nats_peer.new_team()
    kari, ola = laptop(tmp_path / "kari", "Kari"), laptop(tmp_path / "ola", "Ola")
    try:
        for name in ("kari", "ola"):
            join_off_this_thread(
                tmp_path / name, nats_peer.url, team, name, nats_peer.password(name)
            )
        kari.brand.save(BrandProfile(name="Fjellform"))
        exchange(kari, ola)
        ola.brand.save(BrandProfile(name="Fjellform", sign_off="– Ola"))
        kari.brand.save(BrandProfile(name="Fjellform", sign_off="– Kari, Fjellform"))
        exchange(ola, kari)
        assert kari.brand.profile().sign_off == "– Ola"  # theirs stands
        window = MainWindow(kari)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        try:
            line = window.team.library_line
            qtbot.waitUntil(line.isVisible, timeout=10000)
            assert (
                "Your change to the brand voice was not applied: Ola changed it at" in line.text()
            )
            assert kari.team.library is not None
            [conflict] = kari.team.library.conflicts()
            line.linkActivated.emit(f"mine:{conflict.id}")
            assert kari.brand.profile().sign_off == "– Kari, Fjellform"
            assert not line.isVisible()
            qtbot.waitUntil(lambda: kari.team.facts().unconfirmed == 0, timeout=10000)
        finally:
            window.close()
        exchange(ola)
        assert ola.brand.profile().sign_off == "– Kari, Fjellform"
    finally:
        kari.close()
        ola.close()
