"""Links from servers go through one door: only http(s) reaches the browser, a mailto link only
as its address, hovering shows where a link really goes, and servers' words in dialogs and
labels are shown as text, never as HTML."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from PySide6.QtCore import QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QTextCursor
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from storage.mentions import InboxFilter
from storage.records import AccountState, utc_now

from app.accounts import AccountService
from app.bootstrap import Workspace
from app.networks.errors import ServerTrouble

from ui.inbox.detail_pane import SafeTextBrowser
from ui.links import external_target, hover_text, open_external
from ui.main_window import MainWindow

from tests.factories import brand_account, mention

HOSTILE = "<img src='http://tracker.example/p.gif'><a href='file:///etc/passwd'>Click</a>"


class Desktop(QObject):
    """Stands in for the desktop: records what Qt hands it, by scheme."""

    SCHEMES = ("http", "https", "mailto", "file", "smb", "ftp", "javascript", "heedful")

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())


@pytest.fixture
def desktop(qapp: object) -> Iterator[Desktop]:
    recorder = Desktop()
    for scheme in Desktop.SCHEMES:
        QDesktopServices.setUrlHandler(scheme, recorder, "open")
    yield recorder
    for scheme in Desktop.SCHEMES:
        QDesktopServices.unsetUrlHandler(scheme)


def _open(qtbot: QtBot, workspace: Workspace) -> MainWindow:
    window = MainWindow(workspace)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _sent_reply(workspace: Workspace, url: str) -> tuple[int, int]:
    """A mention and a reply to it the server says it posted at `url`."""
    account = workspace.accounts.add(brand_account())
    workspace.mentions.ingest([mention(account.id, 1, "Where is my order?")])
    mention_id = workspace.inbox.list_rows(InboxFilter(), 1)[0].id
    item = workspace.outbox.queue(account.id, mention_id, "reply", "On its way!", "k1")
    workspace.outbox.claim(item.id, utc_now())
    workspace.outbox.mark_sent(item.id, "1133", url)
    return mention_id, item.id


def _renders_as_text(label: QLabel) -> bool:
    """Whether Qt shows the label's text as it is (not as HTML), by Qt's own rule."""
    shown_as = label.textFormat()
    if shown_as == Qt.TextFormat.PlainText:
        return True
    return shown_as == Qt.TextFormat.AutoText and not Qt.mightBeRichText(label.text())


# --- the one door -------------------------------------------------------------------------------


def test_only_web_links_and_plain_addresses_are_opened(desktop: Desktop) -> None:
    assert open_external("https://social.example/@fjellform/1133")
    assert open_external("mailto:kari@example.com?attach=/home/kari/.ssh/id_rsa&body=hi")
    for refused in (
        "file:///etc/passwd",
        "smb://fileserver/share/setup.exe",
        "javascript:alert(1)",
        "ftp://old.example/x",
        "heedful:mention/1",
        "https://",
        "mailto:a@b.example,c@d.example",
    ):
        assert not open_external(refused), refused
    assert desktop.opened == ["https://social.example/@fjellform/1133", "mailto:kari@example.com"]


def test_hovering_shows_the_real_target() -> None:
    assert hover_text("https://bank.example@evil.example/login") == "https://evil.example/login"
    # A right-to-left override or a zero-width space shows as what it is.
    assert (
        hover_text("https://evil.example/\u202egnp.exe") == "https://evil.example/%E2%80%AEgnp.exe"
    )
    assert hover_text("mailto:kari@example.com?subject=x") == "kari@example.com"
    assert hover_text("file:///etc/passwd") == "Heedful does not open file links"
    assert external_target("smb://server/share") is None


# --- where the app opens links ------------------------------------------------------------------


def test_open_post_in_the_outbox_opens_only_a_web_address(
    qtbot: QtBot, workspace: Workspace, desktop: Desktop
) -> None:
    _sent_reply(workspace, "file:///etc/passwd")
    window = _open(qtbot, workspace)
    outbox = window.show_outbox()
    outbox.select(outbox.model.item(0).id)
    assert outbox.open_button.toolTip() == "Heedful does not open file links"
    outbox.open_button.click()
    assert desktop.opened == []
    assert "Not opened" in outbox.message.text()


def test_the_outbox_line_links_a_sent_post_only_when_it_is_a_web_address(
    qtbot: QtBot, workspace: Workspace, desktop: Desktop
) -> None:
    mention_id, _item = _sent_reply(workspace, "smb://fileserver/share/post")
    window = _open(qtbot, workspace)
    assert window.inbox_panel.select_mention(mention_id)
    line = window.outbox_line
    assert "<a " not in line.text()  # shown, not linked
    assert "smb://fileserver/share/post" in line.text()
    line.linkActivated.emit("smb://fileserver/share/post")  # even if it were a link
    assert desktop.opened == []


def test_the_detail_pane_opens_a_mailto_link_as_its_address_only(
    qtbot: QtBot, workspace: Workspace, desktop: Desktop
) -> None:
    account = workspace.accounts.add(brand_account())
    workspace.mentions.ingest([mention(account.id, 1, "Write to me")])
    window = _open(qtbot, workspace)
    browser = window.detail_pane.findChild(SafeTextBrowser)
    assert browser is not None
    browser.anchorClicked.emit(QUrl("mailto:kari@example.com?attach=/home/kari/.ssh/id_rsa"))
    browser.anchorClicked.emit(QUrl("smb://fileserver/share/setup.exe"))
    assert desktop.opened == ["mailto:kari@example.com"]


def test_hovering_a_link_in_a_mention_shows_where_it_goes(
    qtbot: QtBot, workspace: Workspace
) -> None:
    account = workspace.accounts.add(brand_account())
    workspace.mentions.ingest(
        [
            mention(
                account.id,
                1,
                "See my bank",
                html='<p>See <a href="https://evil.example/login">https://bank.example</a></p>',
            )
        ]
    )
    window = _open(qtbot, workspace)
    window.resize(1200, 800)
    browser = window.detail_pane.findChild(SafeTextBrowser)
    assert browser is not None
    found = browser.document().find("https://bank.example")
    assert not found.isNull()
    cursor = QTextCursor(browser.document())
    cursor.setPosition(found.selectionStart() + 3)
    over_the_link = browser.cursorRect(cursor).center()
    qtbot.mouseMove(browser.viewport(), over_the_link)
    qtbot.mouseMove(browser.viewport(), over_the_link + QPoint(1, 0))  # a move over it
    qtbot.waitUntil(
        lambda: window.statusBar().currentMessage() == "https://evil.example/login", timeout=3000
    )


# --- servers' words are text ---------------------------------------------------------------------


def test_a_servers_error_in_the_sign_in_dialog_is_shown_as_text(
    qtbot: QtBot, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise ServerTrouble(f"Bluesky could not sign you in: {HOSTILE}")

    monkeypatch.setattr(AccountService, "add_bluesky", refuse)
    window = _open(qtbot, workspace)
    dialog = window.add_bluesky_account()
    dialog.handle.setText("fjellform.bsky.social")
    dialog.password.setText("abcd-efgh-ijkl-mnop")
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(lambda: "Not signed in" in dialog.status.text(), timeout=10_000)
    assert HOSTILE in dialog.status.text()
    assert _renders_as_text(dialog.status)


def test_a_failed_reply_and_an_accounts_trouble_are_shown_as_text(
    qtbot: QtBot, workspace: Workspace
) -> None:
    account = workspace.accounts.add(brand_account())
    workspace.mentions.ingest([mention(account.id, 1, "Where is my order?")])
    mention_id = workspace.inbox.list_rows(InboxFilter(), 1)[0].id
    item = workspace.outbox.queue(account.id, mention_id, "reply", "On its way!", "k1")
    workspace.outbox.claim(item.id, utc_now())
    workspace.outbox.mark_failed(item.id, f"The server said: {HOSTILE}")
    workspace.accounts.set_state(account.id, AccountState.ERROR, f"Server error: {HOSTILE}")
    window = _open(qtbot, workspace)
    assert window.inbox_panel.select_mention(mention_id)
    line = window.outbox_line.text()
    assert "&lt;img src=" in line
    assert "<img" not in line
    assert "file:///etc/passwd" not in line.split("href=")[0]
    assert _renders_as_text(window.sync_label)
    assert "<img" not in window.sync_label.toolTip()  # escaped: a tooltip renders HTML
    health = window.show_channel_health()
    state = health.state_labels[account.id]
    assert _renders_as_text(state)
