"""The composer as a person uses it: snippets by keyboard, live guardrails, fill-ins, DM."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot

from storage.mentions import InboxFilter
from storage.records import MentionKind, Network

from app.bootstrap import Workspace
from app.compose.replies import ComposerService
from app.inbox.service import InboxView

from ui.compose import composer as composer_module
from ui.compose.composer import Composer
from ui.main_window import MainWindow
from ui.sync.controller import SyncController
from ui.tasks import Tasks

from tests.factories import author, brand_account, mention

SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"


def _open(qtbot: QtBot, workspace: Workspace) -> MainWindow:
    window = MainWindow(workspace)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.windowHandle().requestActivate()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    return window


def _demo_mention(workspace: Workspace, language: str, network: Network) -> int:
    rows = workspace.inbox.list_rows(InboxFilter(), 2000)
    return next(
        row.id
        for row in rows
        if row.language == language and row.network is network and row.kind.value == "mention"
    )


@pytest.fixture
def tasks() -> Iterator[Tasks]:
    pool = Tasks()
    yield pool
    pool.shutdown()


@pytest.fixture
def composer(qtbot: QtBot, workspace: Workspace, tasks: Tasks) -> Composer:
    """A composer that can send, on the user's workspace with the brand voice pack."""
    box = Composer(can_send=True)
    qtbot.addWidget(box)
    box.attach(workspace.composer, tasks)
    workspace.snippets.install_default_pack()
    box.show()
    return box


def _mention(workspace: Workspace, text: str, name: str = "Kari Nordmann", **extra: object) -> int:
    account = workspace.accounts.add(brand_account())
    workspace.mentions.ingest([mention(account.id, 1, text, by=author(name=name), **extra)])
    return workspace.inbox.list_rows(InboxFilter(), 1)[0].id


def _type_shortcut(qtbot: QtBot, box: Composer, word: str) -> None:
    box.editor.setFocus()
    qtbot.keyClicks(box.editor, f"/{word}")
    qtbot.keyClick(box.editor, Qt.Key.Key_Tab)


# --- snippets by keyboard -------------------------------------------------------------------


def test_shortcut_and_tab_inserts_the_variant_in_the_customers_language(
    qtbot: QtBot, demo_workspace: Workspace
) -> None:
    window = _open(qtbot, demo_workspace)
    norwegian = _demo_mention(demo_workspace, "nb", Network.MASTODON)
    window.inbox_panel.set_view(InboxView.ALL)
    assert window.inbox_panel.select_mention(norwegian)
    box: Composer = window.detail_pane.reply_box
    first = demo_workspace.composer.values(demo_workspace.composer.mention(norwegian))[
        "author.first_name"
    ]

    _type_shortcut(qtbot, box, "late")
    text = box.editor.toPlainText()
    assert text.startswith(f"Hei {first or 'du'}, beklager")
    assert "/late" not in text
    assert box.variant.isVisible()
    assert box.variant.currentText() == "nb"
    assert box.editor.hasFocus()  # Tab expanded the snippet instead of moving on

    box.variant.activated.emit(box.variant.findText("base"))  # the person picks English
    assert box.editor.toPlainText().startswith(f"Hi {first or 'there'}, sorry")
    qtbot.waitUntil(lambda: "language" in [f.kind for f in box.findings], timeout=10_000)
    assert any("Norwegian" in line for line in box.guardrails.lines())

    qtbot.keyClicks(box.editor, " /nope")
    qtbot.keyClick(box.editor, Qt.Key.Key_Tab)
    assert "No snippet has the shortcut /nope" in box.status.text()


def test_tab_without_a_shortcut_moves_on(
    qtbot: QtBot, composer: Composer, workspace: Workspace
) -> None:
    composer.show_mention(_mention(workspace, "hello"))
    composer.editor.setFocus()
    qtbot.keyClicks(composer.editor, "a/b and 50/50")
    qtbot.keyClick(composer.editor, Qt.Key.Key_Tab)
    assert composer.editor.toPlainText() == "a/b and 50/50"


def test_the_palette_finds_snippets_and_stacks_them_at_the_cursor(
    qtbot: QtBot, demo_workspace: Workspace
) -> None:
    window = _open(qtbot, demo_workspace)
    english = _demo_mention(demo_workspace, "en", Network.BLUESKY)
    window.inbox_panel.set_view(InboxView.ALL)
    assert window.inbox_panel.select_mention(english)
    box: Composer = window.detail_pane.reply_box
    window.inbox_panel.focus_list()
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)  # write a reply
    assert box.editor.hasFocus()
    qtbot.keyClicks(box.editor, "Thanks for your patience!")

    qtbot.keyClick(
        window,
        Qt.Key.Key_S,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    palette = box.snippet_palette
    qtbot.waitUntil(palette.isVisible)
    qtbot.keyClicks(palette.query, "refund card")
    qtbot.waitUntil(lambda: palette.visible_titles()[:1] == ["Refund on its way"])
    qtbot.keyClick(palette.query, Qt.Key.Key_Return)
    assert not palette.isVisible()
    text = box.editor.toPlainText()
    assert text.startswith("Thanks for your patience! Hi ")
    assert "refund" in text

    window.insert_snippet_action.trigger()
    qtbot.waitUntil(palette.isVisible)
    qtbot.keyClicks(palette.query, "zzzz-nothing")
    qtbot.waitUntil(lambda: palette.visible_titles() == [])
    qtbot.keyClick(palette.query, Qt.Key.Key_Escape)
    assert box.editor.toPlainText() == text  # nothing lost


def test_suggestions_come_from_where_snippets_were_used(
    qtbot: QtBot, composer: Composer, workspace: Workspace
) -> None:
    first = _mention(workspace, "My parcel is stuck, the tracking has not moved for a week")
    # The team answered such a mention with an unlikely snippet: that is what counts.
    thanks = workspace.snippets.by_shortcut("thanks")
    assert thanks is not None
    workspace.snippets.record_use(thanks.id, first)
    account = workspace.accounts.all()[0]
    workspace.mentions.ingest(
        [mention(account.id, 2, "Tracking for my parcel still says in transit", language="en")]
    )
    second = workspace.inbox.list_rows(InboxFilter(), 1)[0].id
    with qtbot.waitSignal(composer.suggestions_did_arrive):
        composer.show_mention(second)
    assert composer.suggestions.text().startswith("Suggested: /thanks")
    composer.open_palette()
    assert composer.snippet_palette.visible_titles()[0] == "Thank you"


# --- guardrails and sending ------------------------------------------------------------------


def test_guardrails_list_what_is_wrong_as_you_type(
    qtbot: QtBot, composer: Composer, workspace: Workspace
) -> None:
    composer.show_mention(_mention(workspace, "Where is my order?"))
    composer.editor.setFocus()
    qtbot.keyClicks(composer.editor, "Thank you for reaching out! Mail me at kari@example.com")
    qtbot.waitUntil(lambda: len(composer.findings) == 2, timeout=10_000)
    lines = composer.guardrails.lines()
    assert lines[0].startswith("⛔ This public reply contains personal data (e-mail address")
    assert "Switch to DM" in lines[0]
    assert lines[1].startswith("⚠ “thank you for reaching out” sounds like a form letter")
    assert composer.confirm_personal_data.isVisible()
    assert composer.guardrails.isVisible()


def test_a_reply_from_a_snippet_with_fill_ins_reaches_the_outbox(
    qtbot: QtBot, composer: Composer, workspace: Workspace
) -> None:
    mention_id = _mention(workspace, "Hvor er pakken min?", name="Åsa Øvrebø", language="no")
    composer.show_mention(mention_id)
    composer.reply_was_requested.connect(
        lambda mid, text: (workspace.replies.queue(mid, text), composer.reply_was_queued())
    )
    _type_shortcut(qtbot, composer, "track")
    assert composer.editor.toPlainText().startswith("Hei Åsa, jeg har sjekket {?order number}")

    composer.send_button.click()
    dialog = composer.fill_ins
    assert dialog is not None
    assert list(dialog.fields) == ["order number", "delivery day", "tracking link"]
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # every fill-in is needed
    dialog.fields["order number"].setText("FF-482913")
    dialog.fields["delivery day"].setText("i morgen")
    dialog.fields["tracking link"].setText("https://spor.example/482913")
    ok.click()
    # An order number in public: blocked until confirmed (or moved to a DM).
    qtbot.waitUntil(lambda: composer.status.text().startswith("Not sent:"), timeout=10_000)
    assert "personal data" in composer.status.text()
    assert workspace.outbox.all() == []

    composer.confirm_personal_data.setChecked(True)
    with qtbot.waitSignal(composer.reply_was_requested, timeout=10_000):
        composer.send_button.click()
    [item] = workspace.outbox.all()
    assert item.kind == "reply"
    assert item.body == (
        "Hei Åsa, jeg har sjekket FF-482913: den er hos budet nå og skal være fremme i morgen. "
        "Her er sporingslenken: https://spor.example/482913. Har den ikke kommet innen da, "
        f"skriv til meg her, så ordner jeg det. – {workspace.settings.agent_name}"
    )
    track = workspace.snippets.by_shortcut("track")
    assert track is not None
    assert track.usage_count == 1
    assert composer.editor.toPlainText() == ""


def test_an_unfilled_placeholder_blocks_sending(
    qtbot: QtBot, composer: Composer, workspace: Workspace
) -> None:
    composer.show_mention(_mention(workspace, "Where is my order?"))
    composer.editor.setPlainText("Hi {author.nickname}, it's on its way!")
    # "Not sent" is said instead of sending, never after it: nothing to wait for beyond it.
    with qtbot.assertNotEmitted(composer.reply_was_requested):
        composer.send_button.click()
        qtbot.waitUntil(lambda: composer.status.text().startswith("Not sent:"), timeout=10_000)
    assert "{author.nickname}" in composer.status.text()
    assert composer.editor.toPlainText() == "Hi {author.nickname}, it's on its way!"


def test_over_the_limit_counts_as_the_network_counts_and_blocks(
    qtbot: QtBot, composer: Composer, workspace: Workspace
) -> None:
    mention_id = _mention(workspace, "Where is my order?")
    with workspace.store.write() as db:  # as the sync learns it from the server
        db.execute("UPDATE accounts SET max_post_length = 500")
    composer.show_mention(mention_id)
    link = "https://fjellform.example/" + "x" * 300
    composer.editor.setPlainText(f"See {link}")
    # The @handle Mastodon puts in front counts as @kari; the link as 23.
    assert composer.counter.text() == f"{len('@kari See ') + 23} / 500"
    composer.editor.setPlainText("x" * (500 - len("@kari ") + 1))
    assert composer.counter.text() == "501 / 500"
    # "Not sent" is said instead of sending, never after it: nothing to wait for beyond it.
    with qtbot.assertNotEmitted(composer.reply_was_requested):
        composer.send_button.click()
        qtbot.waitUntil(lambda: composer.status.text().startswith("Not sent:"), timeout=10_000)
    assert "Shorten it by 1" in composer.status.text()


def test_switch_to_dm_sends_privately_and_leaves_a_public_note(
    qtbot: QtBot, workspace: Workspace
) -> None:
    mention_id = _mention(workspace, "Where is my order? It's been two weeks.")
    workspace.snippets.install_default_pack()
    window = _open(qtbot, workspace)
    assert window.inbox_panel.select_mention(mention_id)
    box: Composer = window.detail_pane.reply_box
    box.editor.setPlainText("Hi Kari, I found FF-482913 on kari@example.com: it ships today.")
    qtbot.waitUntil(lambda: "pii" in [f.kind for f in box.findings], timeout=10_000)

    window.switch_to_dm_action.trigger()
    assert box.direct
    assert box.to_label.text().startswith("Private message to @kari@toot.example")
    qtbot.waitUntil(lambda: "pii" not in [f.kind for f in box.findings], timeout=10_000)
    with qtbot.waitSignal(window.sync.reply_did_queue, timeout=10_000):
        qtbot.keyClick(box.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    dm, note = workspace.outbox.all()
    assert dm.kind == "direct"
    assert dm.body == "Hi Kari, I found FF-482913 on kari@example.com: it ships today."
    assert (note.kind, note.body) == ("reply", "I've sent you a DM 📩")
    assert not box.direct  # the next reply is public again


# --- the draft keeps its mode -------------------------------------------------------------------


def test_a_dm_draft_comes_back_as_a_dm_on_reselecting_and_after_a_restart(
    qtbot: QtBot, workspace: Workspace
) -> None:
    from app.bootstrap import StartupOptions, build_workspace

    first = _mention(workspace, "Where is my order? It's been two weeks.")
    account = workspace.accounts.all()[0]
    workspace.mentions.ingest([mention(account.id, 2, "Love the new jacket!")])
    second = next(row.id for row in workspace.inbox.list_rows(InboxFilter(), 10) if row.id != first)
    window = _open(qtbot, workspace)
    window.inbox_panel.set_view(InboxView.ALL)
    assert window.inbox_panel.select_mention(first)
    box: Composer = window.detail_pane.reply_box
    window.switch_to_dm_action.trigger()
    assert box.direct
    box.editor.setFocus()
    qtbot.keyClicks(box.editor, "Your order FF-482913 ships today")
    qtbot.waitUntil(lambda: workspace.replies.drafts.mode(first) == "direct", timeout=5000)

    assert window.inbox_panel.select_mention(second)
    assert not box.direct  # another mention's reply starts public
    assert box.to_label.text().startswith("Public reply to")
    assert window.inbox_panel.select_mention(first)
    assert box.direct
    assert box.editor.toPlainText() == "Your order FF-482913 ships today"
    assert box.to_label.text().startswith("Private message to @kari")
    assert box.send_button.text() == "Send DM"

    _close_when_counted(qtbot, window)
    workspace.close()
    reopened = build_workspace(StartupOptions())
    try:
        again = MainWindow(reopened)
        qtbot.addWidget(again)
        again.show()
        again.inbox_panel.set_view(InboxView.ALL)
        assert again.inbox_panel.select_mention(first)
        box = again.detail_pane.reply_box
        assert box.editor.toPlainText() == "Your order FF-482913 ships today"
        assert box.direct
        assert box.to_label.text().startswith("Private message to @kari")

        again.switch_to_dm_action.trigger()  # back to public: that is kept too
        box.save_draft_now()
        assert reopened.replies.drafts.mode(first) == "public"
        assert reopened.replies.drafts.get(first) == "Your order FF-482913 ships today"
        _close_when_counted(qtbot, again)
    finally:
        reopened.close()


def _close_when_counted(qtbot: QtBot, window: MainWindow) -> None:
    """Close once the inbox counts are in: a count that arrives after the close asks for
    another on the stopped pool (an inbox panel race, outside the composer)."""
    panel = window.inbox_panel
    qtbot.waitUntil(lambda: panel._counting is None and not panel._counts_wanted, timeout=10_000)
    window.close()


def test_a_draft_saved_without_a_mode_keeps_the_one_it_had(workspace: Workspace) -> None:
    drafts = workspace.replies.drafts
    mention_id = _mention(workspace, "Where is my order?")
    assert drafts.mode(mention_id) == "public"
    drafts.save(mention_id, "Psst, your order number is FF-1234567", mode="direct")
    drafts.save(mention_id, "Psst, your order number is FF-1234567, and more")
    assert drafts.mode(mention_id) == "direct"
    with pytest.raises(ValueError, match="not 'secret'"):
        drafts.save(mention_id, "x", mode="secret")
    drafts.save(mention_id, "")  # cleared: the next draft starts public
    drafts.save(mention_id, "Hi again")
    assert drafts.mode(mention_id) == "public"


def test_in_the_demo_send_and_switch_to_dm_say_why_nothing_happens(
    qtbot: QtBot, demo_workspace: Workspace
) -> None:
    window = _open(qtbot, demo_workspace)
    mention_id = _demo_mention(demo_workspace, "en", Network.MASTODON)
    assert window.inbox_panel.select_mention(mention_id)
    box = window.detail_pane.reply_box
    box.editor.setPlainText("Thanks for telling us!")
    box.editor.setFocus()
    qtbot.keyClick(box.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "demo workspace never sends" in box.status.text()
    box.status.clear()
    qtbot.keyClick(
        box.editor,
        Qt.Key.Key_D,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert "demo workspace never sends" in box.status.text()
    assert box.editor.toPlainText() == "Thanks for telling us!"  # nothing typed is lost


def test_the_language_model_loads_soon_after_the_window_opens_not_at_the_first_check(
    qtbot: QtBot, demo_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.text import language

    monkeypatch.setattr(language, "_identifier", None)  # as in a fresh process
    window = _open(qtbot, demo_workspace)
    assert window.detail_pane.reply_box.editor.toPlainText() == ""  # nothing typed, no check
    qtbot.waitUntil(lambda: language._identifier is not None, timeout=30_000)


def test_moving_between_networks_does_not_resize_the_reading_pane(
    qtbot: QtBot, demo_workspace: Workspace
) -> None:
    window = _open(qtbot, demo_workspace)
    window.resize(1280, 800)
    mastodon = _demo_mention(demo_workspace, "en", Network.MASTODON)
    bluesky = _demo_mention(demo_workspace, "en", Network.BLUESKY)
    assert window.inbox_panel.select_mention(mastodon)
    _lay_out()
    width = window.detail_pane.width()
    for mention_id in (bluesky, mastodon, bluesky):
        assert window.inbox_panel.select_mention(mention_id)
        _lay_out()
        assert window.detail_pane.width() == width


def _lay_out() -> None:
    """Run the layout passes the last changes asked for (each may ask for another)."""
    for _ in range(5):
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)


# --- checks are about one mention, and never wait behind the network --------------------------


def test_send_is_checked_while_the_network_lane_is_full_of_slow_thread_fetches(
    qtbot: QtBot, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = workspace.accounts.add(brand_account())
    workspace.mentions.ingest(
        [mention(account.id, n, f"Question {n}", by=author(f"c{n}@toot.example")) for n in range(8)]
    )
    ids = [row.id for row in workspace.inbox.list_rows(InboxFilter(), 10)]
    server_answers = threading.Event()

    def slow_fetch(_controller: SyncController, _mention_id: int) -> int:
        server_answers.wait(120)  # a conversation fetch on a very slow network
        return 0

    monkeypatch.setattr(SyncController, "_fetch_thread", slow_fetch)
    window = _open(qtbot, workspace)
    window.sync.set_reachable(False)  # the reply itself waits in the outbox
    try:
        for mention_id in ids:  # more slow fetches than there are network workers
            window.sync.fetch_thread(mention_id)
        assert window.inbox_panel.select_mention(ids[0])
        box: Composer = window.detail_pane.reply_box
        box.editor.setFocus()
        qtbot.keyClicks(box.editor, "Thanks, it ships today!")
        with qtbot.waitSignal(window.sync.reply_did_queue, timeout=20_000):
            qtbot.keyClick(box.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert [item.body for item in workspace.outbox.all()] == ["Thanks, it ships today!"]
    finally:
        server_answers.set()


def test_a_check_still_running_when_moving_on_is_never_used_for_the_next_mention(
    qtbot: QtBot, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A's reply is checked as a private one (personal data is fine in a DM); B's draft is the
    same text but B is public. A's findings must never send it to B."""
    account = workspace.accounts.add(brand_account())
    text = "Your order FF-482913 ships today; we wrote to kari@example.com."
    workspace.mentions.ingest(
        [
            mention(account.id, 1, "Where is my order?", kind=MentionKind.DIRECT),
            mention(account.id, 2, "Where is my order?!", by=author("ola@toot.example", "Ola")),
        ]
    )
    rows = workspace.inbox.list_rows(InboxFilter(), 10)
    private = next(row.id for row in rows if row.kind is MentionKind.DIRECT)
    public = next(row.id for row in rows if row.kind is not MentionKind.DIRECT)
    workspace.replies.drafts.save(private, text)
    workspace.replies.drafts.save(public, text)

    checking, go_on, first_check_done = threading.Event(), threading.Event(), threading.Event()
    real_check = ComposerService.check_context
    calls: list[None] = []

    def check_held_once(service: ComposerService, context: Any, profile: Any) -> Any:
        calls.append(None)
        if len(calls) > 1:
            return real_check(service, context, profile)
        checking.set()
        go_on.wait(30)  # the language model is slow to load, say
        try:
            return real_check(service, context, profile)
        finally:
            first_check_done.set()

    monkeypatch.setattr(ComposerService, "check_context", check_held_once)
    # The checks after a pause in typing are started by hand below.
    monkeypatch.setattr(composer_module, "CHECK_DELAY_MS", 60_000)
    window = _open(qtbot, workspace)
    window.sync.set_reachable(False)
    window.inbox_panel.set_view(InboxView.ALL)
    box: Composer = window.detail_pane.reply_box
    try:
        assert window.inbox_panel.select_mention(private)
        assert box.editor.toPlainText() == text
        box.editor.setFocus()
        qtbot.keyClick(box.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(checking.is_set, timeout=10_000)  # A's check is running
        assert window.inbox_panel.select_mention(public)
        assert box.editor.toPlainText() == text
    finally:
        go_on.set()
    qtbot.waitUntil(first_check_done.is_set, timeout=30_000)
    box.check_now()  # B's own check
    qtbot.waitUntil(lambda: "pii" in [f.kind for f in box.findings], timeout=20_000)
    assert workspace.outbox.all() == []
    assert box.editor.toPlainText() == text  # still B's draft, not sent
