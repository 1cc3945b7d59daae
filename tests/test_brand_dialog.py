"""Reply → Brand voice…: editing the brand profile in the window, as a person does it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from PySide6.QtWidgets import QDialogButtonBox, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from storage.mentions import InboxFilter

from app.bootstrap import Workspace
from app.compose.brand import BrandProfile, EmojiPolicy, Formality

from ui.compose.brand_dialog import BrandDialog
from ui.compose.composer import Composer
from ui.main_window import MainWindow

from tests.factories import author, brand_account, mention
from tests.screens import grab_screen, paint_now, virtual_display

SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"


def _open_window(qtbot: QtBot, workspace: Workspace) -> MainWindow:
    window = MainWindow(workspace)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _mention(workspace: Workspace, text: str) -> int:
    account = workspace.accounts.add(brand_account())
    workspace.mentions.ingest([mention(account.id, 1, text, by=author(name="Kari Nordmann"))])
    return workspace.inbox.list_rows(InboxFilter(), 1)[0].id


def _open_dialog(qtbot: QtBot, window: MainWindow) -> BrandDialog:
    window.brand_voice_action.trigger()
    dialog: BrandDialog = window.brand_dialog
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def _save_button(dialog: BrandDialog) -> QPushButton:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Save)


def test_a_banned_phrase_added_in_the_dialog_is_flagged_in_the_composer_at_once(
    qtbot: QtBot, workspace: Workspace
) -> None:
    mention_id = _mention(workspace, "Where is my order?")
    window = _open_window(qtbot, workspace)
    assert window.inbox_panel.select_mention(mention_id)
    box: Composer = window.detail_pane.reply_box
    with qtbot.waitSignal(box.findings_did_change, timeout=10_000):
        box.editor.setPlainText("Hi Kari! No worries at all, it ships today.")
    assert not any("No worries" in line for line in box.guardrails.lines())

    dialog = _open_dialog(qtbot, window)
    dialog.banned_phrases.setPlainText(dialog.banned_phrases.toPlainText() + "\nNo worries")
    _save_button(dialog).click()
    assert not dialog.isVisible()

    qtbot.waitUntil(
        lambda: any("“No worries” sounds like a form letter" in s for s in box.guardrails.lines()),
        timeout=10_000,
    )
    assert "No worries" in workspace.brand.profile().banned_phrases

    box.editor.setPlainText("Fixed it")
    qtbot.waitUntil(lambda: box.guardrails.lines() == [], timeout=10_000)
    with qtbot.waitSignal(box.findings_did_change, timeout=10_000):  # and as you type on
        box.editor.setPlainText("Fixed it, no worries!")
    assert any("“No worries” sounds like a form letter" in s for s in box.guardrails.lines())


def test_every_setting_is_saved_and_shown_again(qtbot: QtBot, workspace: Workspace) -> None:
    window = _open_window(qtbot, workspace)
    dialog = _open_dialog(qtbot, window)
    dialog.name.setText("Fjellform")
    dialog.sign_off.setText("Hilsen {agent.name} i Fjellform")
    dialog.formality.setCurrentIndex(dialog.formality.findData("formal"))
    dialog.formality_by_language.setPlainText("fr: formal\nnb = casual\n")
    dialog.emoji.setCurrentIndex(dialog.emoji.findData("none"))
    dialog.banned_phrases.setPlainText("  kjære kunde \n\nwe value your feedback\n")
    dialog.preferred_terms.setPlainText("customer service → our team\nticket -> case")
    dialog.order_patterns.setPlainText(r"\bFF-\d{6}\b")
    dialog.repetition_threshold.setValue(4)
    _save_button(dialog).click()
    assert not dialog.isVisible()

    assert workspace.brand.profile() == BrandProfile(
        name="Fjellform",
        sign_off="Hilsen {agent.name} i Fjellform",
        formality=Formality.FORMAL,
        formality_by_language={"fr": Formality.FORMAL, "nb": Formality.CASUAL},
        emoji=EmojiPolicy.NONE,
        banned_phrases=("kjære kunde", "we value your feedback"),
        preferred_terms={"customer service": "our team", "ticket": "case"},
        order_patterns=(r"\bFF-\d{6}\b",),
        repetition_threshold=4,
    )
    again = _open_dialog(qtbot, window)
    assert again.name.text() == "Fjellform"
    assert again.formality_by_language.toPlainText() == "fr: formal\nnb: casual"
    assert again.preferred_terms.toPlainText() == "customer service → our team\nticket → case"
    assert again.emoji.currentData() == "none"
    assert again.repetition_threshold.value() == 4
    again.reject()


def test_a_bad_pattern_is_named_and_nothing_typed_is_lost(
    qtbot: QtBot, workspace: Workspace
) -> None:
    before = workspace.brand.profile()
    window = _open_window(qtbot, workspace)
    dialog = _open_dialog(qtbot, window)
    dialog.name.setText("Fjellform")
    dialog.banned_phrases.setPlainText("no worries")
    dialog.order_patterns.setPlainText("FF-\\d{6}\n(?P<order\\d+")
    dialog.preferred_terms.setPlainText("customer service our team")
    _save_button(dialog).click()

    assert dialog.isVisible()  # stays open
    assert dialog.problems.isVisible()
    problems = dialog.problems.text()
    assert "Order/ticket pattern, line 2: “(?P<order\\d+” is not a valid regular expression" in (
        problems
    )
    assert "Preferred terms, line 1: “customer service our team” needs" in problems
    assert workspace.brand.profile() == before  # nothing saved
    assert dialog.name.text() == "Fjellform"
    assert dialog.banned_phrases.toPlainText() == "no worries"
    assert dialog.order_patterns.toPlainText() == "FF-\\d{6}\n(?P<order\\d+"
    assert dialog.focusWidget() is dialog.preferred_terms  # the first setting to fix

    dialog.order_patterns.setPlainText("FF-\\d{6}\n(?P<order>\\d+)")
    dialog.preferred_terms.setPlainText("customer service → our team")
    _save_button(dialog).click()
    assert not dialog.isVisible()
    saved = workspace.brand.profile()
    assert saved.order_patterns == ("FF-\\d{6}", "(?P<order>\\d+)")
    assert saved.banned_phrases == ("no worries",)


def test_a_language_override_that_is_not_one_is_refused(qtbot: QtBot, workspace: Workspace) -> None:
    window = _open_window(qtbot, workspace)
    dialog = _open_dialog(qtbot, window)
    dialog.formality_by_language.setPlainText("fr: formal\nfrench: very polite")
    dialog.name.setText("   ")
    _save_button(dialog).click()
    assert dialog.isVisible()
    text = dialog.problems.text()
    assert "The brand needs a name." in text
    assert "Formality per language, line 2: “french: very polite”" in text
    assert dialog.focusWidget() is dialog.name


# --- on a real screen ---------------------------------------------------------------------------


@pytest.mark.xvfb
def test_brand_voice_dialog_on_a_real_screen(tmp_path: Path) -> None:
    target = SCREENSHOTS / "brand-voice.png"
    home = tmp_path / "home"
    ready = home / "ready.json"
    with virtual_display() as display:
        env = {
            **os.environ,
            "DISPLAY": display,
            "QT_QPA_PLATFORM": "xcb",
            "HEEDFUL_HOME": str(home),
        }
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.test_brand_dialog", str(ready)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 90
            while not ready.exists():
                if child.poll() is not None:
                    raise RuntimeError(child.stderr.read().decode() if child.stderr else "")
                if time.monotonic() > deadline:
                    raise TimeoutError("the brand voice scene was not ready in time")
                time.sleep(0.1)  # polling for the file; the scene writes it once painted
            grab_screen(display, target)
        finally:
            child.terminate()
            child.wait(timeout=10)
            if child.stderr:
                child.stderr.close()
    shown = json.loads(ready.read_text(encoding="utf-8"))
    assert shown["name"] == "Fjellform"
    assert "line 1" in shown["problems"]
    assert target.stat().st_size > 20_000  # a populated window, not a blank screen


def _scene(ready: Path) -> int:
    """The child: the demo window with the brand voice dialog open on a bad pattern."""
    from PySide6.QtWidgets import QApplication

    from app.bootstrap import StartupOptions, build_workspace

    app = QApplication(sys.argv[:1])
    workspace = build_workspace(StartupOptions(demo=True))
    window = MainWindow(workspace)
    window.resize(1360, 860)
    window.move(0, 0)
    window.show()
    window.brand_voice_action.trigger()
    dialog: BrandDialog = window.brand_dialog
    dialog.move(360, 100)
    dialog.preferred_terms.setPlainText("customer service → our team\nrefund → money back")
    dialog.order_patterns.setPlainText("FF-(\\d{6}\n\\bticket #\\d{5,}\\b")
    _save_button(dialog).click()  # refused: the problem is shown under the form
    paint_now(window, dialog)
    ready.write_text(
        json.dumps({"name": dialog.name.text(), "problems": dialog.problems.text()}),
        encoding="utf-8",
    )
    return app.exec()


if __name__ == "__main__":
    sys.exit(_scene(Path(sys.argv[1])))


def test_cancel_asks_before_dropping_what_was_typed(qtbot: QtBot, workspace: Workspace) -> None:
    window = _open_window(qtbot, workspace)
    dialog = _open_dialog(qtbot, window)
    dialog.reject()  # nothing edited: closes at once
    assert not dialog.isVisible()

    dialog = _open_dialog(qtbot, window)
    dialog.banned_phrases.setPlainText("no worries")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    question = dialog.discard_question
    assert question is not None
    qtbot.waitUntil(question.isVisible)
    question.button(QMessageBox.StandardButton.Cancel).click()  # "Keep editing"
    assert dialog.isVisible()
    assert dialog.banned_phrases.toPlainText() == "no worries"

    dialog.reject()
    question = dialog.discard_question
    assert question is not None
    question.button(QMessageBox.StandardButton.Discard).click()
    assert not dialog.isVisible()
    assert "no worries" not in workspace.brand.profile().banned_phrases
