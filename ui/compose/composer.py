"""The composer: replying to the selected mention in the brand's voice.

Snippets go in at the cursor (`/shortcut` + Tab, or the palette), in the variant for the
mention's language and network; the guardrails run off the GUI thread after a pause in typing
and are listed under the editor; fill-ins are asked for before sending; blocking findings stop
the send. "Switch to DM" turns the reply into a private message, and sending it also posts a
short public note in the thread. Drafts are saved as you type.

Without a ComposerService attached (`attach`) it is a plain reply box.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QHideEvent,
    QKeyEvent,
    QKeySequence,
    QShortcut,
    QShowEvent,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from storage.records import Mention, Network
from storage.snippets import Snippet, SnippetVariant

from app.bootstrap import Workspace
from app.compose.brand import BrandProfile
from app.compose.guardrails import Finding, blocking
from app.compose.placeholders import PLACEHOLDER, prompt_key
from app.compose.replies import ComposerService, is_private
from app.compose.snippets import variants_of
from app.networks.lengths import post_length
from app.text import language

from ui.background import BackgroundJobs
from ui.compose.fill_ins import FillInDialog
from ui.compose.guardrail_list import GuardrailList
from ui.compose.snippet_palette import SnippetPalette

# Typing pauses this long before the draft is saved.
DRAFT_DELAY_MS = 300
# ... and this long before the guardrails look again.
CHECK_DELAY_MS = 350

_CHECK = object()  # marks a guardrail check's result among the shared jobs' results
_SUGGEST = object()  # ... and suggested snippets for a mention
_SHORTCUT_BEFORE_CURSOR = re.compile(r"(?:^|\s)/([\w-]+)$")


LANGUAGE_WARM_UP_MS = 1500  # after the first paint, so start-up does not share the CPU

DEMO_NEVER_SENDS = (
    "The demo workspace never sends anything: add your own account (Accounts → Add…) to reply."
)


class ComposerEditor(QPlainTextEdit):
    """Tab after `/shortcut` asks for the snippet; any other Tab moves on, as in a form."""

    shortcut_was_typed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setTabChangesFocus(True)

    def shortcut_before_cursor(self) -> str | None:
        cursor = self.textCursor()
        line = cursor.block().text()[: cursor.positionInBlock()]
        match = _SHORTCUT_BEFORE_CURSOR.search(line)
        return match.group(1) if match else None

    def replace_before_cursor(self, length: int, text: str) -> None:
        cursor = self.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, length)
        cursor.insertText(text)
        self.setTextCursor(cursor)

    def event(self, event: QEvent) -> bool:
        if (
            isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Tab
            and not event.modifiers()
        ):
            word = self.shortcut_before_cursor()
            if word is not None:
                self.shortcut_was_typed.emit(word)
                return True
        return super().event(event)


class Composer(QWidget):
    reply_was_requested = Signal(int, str)  # mention id, text
    direct_reply_was_requested = Signal(int, str, str)  # mention id, private text, public note
    draft_did_change = Signal(int, str, str)  # mention id, text, 'public' | 'direct' (debounced)
    findings_did_change = Signal(list)  # [Finding] for the current text
    suggestions_did_arrive = Signal()

    def __init__(self, *, can_send: bool) -> None:
        super().__init__()
        self._can_send = can_send
        self._mention_id: int | None = None
        self._mention: Mention | None = None
        self._service: ComposerService | None = None
        self._jobs: BackgroundJobs | None = None
        self._profile = BrandProfile()
        self._limit: int | None = None
        self.direct = False
        self.findings: list[Finding] = []
        self._findings_for: str | None = None  # the text the findings are about
        self._check_number = 0
        self._checking: tuple[int, str, bool] | None = None  # (number, text, direct) in work
        self._send_when_checked = False
        self._suggested: list[tuple[Snippet, float]] = []
        self._inserted: list[int] = []  # snippet ids in this reply, counted when it is queued
        self._last_insert: tuple[Snippet, int, str] | None = None  # snippet, start, text

        self.to_label = QLabel()
        self.to_label.setStyleSheet("color: gray")
        self.counter = QLabel()
        self.counter.setAccessibleName("Length")
        # Labels whose text changes with each mention ("Private message to @…", "0 / 300
        # graphemes") must not widen the pane and push the splitter as you move through
        # the list: they take the width they are given and elide or wrap.
        self.to_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.to_label.setWordWrap(True)
        self.counter.setMinimumWidth(
            self.counter.fontMetrics().horizontalAdvance("9999 / 9999 graphemes")
        )
        self.counter.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.editor = ComposerEditor()
        self.editor.setPlaceholderText(
            "Reply in the thread…   (/shortcut + Tab inserts a snippet, Ctrl+Enter sends)"
        )
        self.editor.setAccessibleName("Reply")
        self.editor.setMaximumHeight(self.fontMetrics().height() * 7)
        self.editor.shortcut_was_typed.connect(self.expand_shortcut)
        self.guardrails = GuardrailList()
        self.confirm_personal_data = QCheckBox("Post this personal data in public anyway")
        self.confirm_personal_data.hide()
        self.confirm_personal_data.toggled.connect(self._check_soon)
        self.variant = QComboBox()
        self.variant.setAccessibleName("Snippet variant")
        self.variant.setToolTip("The snippet's version for another language or network")
        self.variant.hide()
        self.variant.activated.connect(self._variant_chosen)
        self.suggestions = QLabel()
        self.suggestions.setStyleSheet("color: gray")
        self.palette_button = QPushButton("Snippets…")
        self.palette_button.setToolTip("Find a snippet (Ctrl+Shift+S)")
        self.palette_button.clicked.connect(self.open_palette)
        self.palette_button.setEnabled(False)
        self.dm_button = QPushButton("Switch to DM")
        self.dm_button.setEnabled(False)
        self.dm_button.clicked.connect(self.toggle_direct)
        self.send_button = QPushButton("Send reply")
        self.send_button.setEnabled(can_send)
        if not can_send:
            self.send_button.setToolTip(DEMO_NEVER_SENDS)
        self.send_button.clicked.connect(self._send)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.snippet_palette = SnippetPalette(self)
        self.snippet_palette.snippet_was_chosen.connect(self.insert_snippet)
        self.fill_ins: FillInDialog | None = None

        # Only while the composer has focus: never send from elsewhere in the window.
        shortcut = QShortcut(QKeySequence("Ctrl+Return"), self.editor)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self._send)
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DELAY_MS)
        self._draft_timer.timeout.connect(self.save_draft_now)
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self.check_now)
        self.editor.textChanged.connect(self._draft_timer.start)
        self.editor.textChanged.connect(self._text_changed)

        top = QHBoxLayout()
        top.addWidget(self.to_label, 1)
        top.addWidget(self.counter)
        tools = QHBoxLayout()
        tools.addWidget(self.palette_button)
        tools.addWidget(self.variant)
        tools.addWidget(self.suggestions, 1)
        tools.addWidget(self.dm_button)
        tools.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.editor)
        layout.addWidget(self.guardrails)
        layout.addWidget(self.confirm_personal_data)
        layout.addLayout(tools)
        layout.addWidget(self.status)

    # --- wiring ------------------------------------------------------------------------------

    def attach(self, service: ComposerService, jobs: BackgroundJobs) -> None:
        """Snippets, counting and guardrails come from `service`; checks run on `jobs`."""
        self._service = service
        self._jobs = jobs
        jobs.job_did_finish.connect(self._job_finished)
        self.palette_button.setEnabled(self._mention_id is not None)
        # The language model takes seconds to load: load it once the window is up, not at
        # the first check (the first guardrails of a session would wait for it).
        QTimer.singleShot(LANGUAGE_WARM_UP_MS, self, self._warm_up_language)

    def _warm_up_language(self) -> None:
        if self._jobs is not None and not self._jobs.stop.is_set():
            self._jobs.submit(language.load)

    @property
    def mention_id(self) -> int | None:
        return self._mention_id

    def show_mention(self, mention_id: int | None, draft: str = "", direct: bool = False) -> None:
        """Switch to another mention: what was typed for the last one is saved first, and the
        new one's draft comes back, as a private message when `direct` (if it can be one)."""
        if mention_id == self._mention_id:
            return
        self.save_draft_now()
        self._mention_id = mention_id
        self._mention = None
        self._inserted.clear()
        self._last_insert = None
        self.direct = False
        self.variant.hide()
        self.status.clear()
        self.confirm_personal_data.setChecked(False)
        self._show_findings([], None)
        if mention_id is not None and self._service is not None:
            try:
                self._mention = self._service.mention(mention_id)
                self._limit = self._service.limit(self._mention)
                self._profile = self._service.brand.profile()
            except KeyError:
                self._mention = None
        self.direct = direct and self.can_go_direct()
        self.editor.blockSignals(True)
        self.editor.setPlainText(draft)
        self.editor.moveCursor(QTextCursor.MoveOperation.End)  # carry on where you left off
        self.editor.blockSignals(False)
        self.editor.setEnabled(mention_id is not None)
        self.palette_button.setEnabled(self._service is not None and mention_id is not None)
        self._show_addressee()
        self._update_counter()
        self.show_suggestions()
        if draft.strip():
            self._check_soon()

    def save_draft_now(self) -> None:
        self._draft_timer.stop()
        if self._mention_id is not None:
            mode = "direct" if self.direct else "public"
            self.draft_did_change.emit(self._mention_id, self.editor.toPlainText(), mode)

    # --- snippets ----------------------------------------------------------------------------

    def open_palette(self) -> None:
        if self._service is None or self._mention is None:
            return
        suggested = [snippet.id for snippet, _ in self._suggested]
        self.snippet_palette.open_with(self._service.snippets.all(), suggested)

    def expand_shortcut(self, word: str) -> bool:
        if self._service is None or self._mention is None:
            return False
        snippet = self._service.snippets.by_shortcut(word)
        if snippet is None:
            self.status.setText(f"No snippet has the shortcut /{word}. Ctrl+Shift+S finds one.")
            return False
        self.editor.replace_before_cursor(len(word) + 1, "")
        self.insert_snippet(snippet)
        return True

    def insert_snippet(self, snippet: Snippet, variant: SnippetVariant | None = None) -> None:
        """Put the snippet, rendered for this mention, at the cursor (after what is there)."""
        if self._service is None or self._mention is None:
            return
        built = self._service.render_snippet(self._mention, snippet, variant=variant)
        cursor = self.editor.textCursor()
        before = self.editor.toPlainText()[: cursor.position()]
        text = built.rendered.text
        if before and not before[-1].isspace():
            text = " " + text
        start = cursor.position()
        cursor.insertText(text)
        self.editor.setTextCursor(cursor)
        self._last_insert = (snippet, start, text)
        self._inserted.append(snippet.id)
        self._show_variants(snippet, built.variant)
        self.editor.setFocus()
        self.status.setText(f"Inserted “{snippet.title}”.")

    def _show_variants(self, snippet: Snippet, chosen: SnippetVariant) -> None:
        self.variant.clear()
        for option in variants_of(snippet):
            where = " · ".join(part for part in (option.language, option.network) if part)
            self.variant.addItem(where or "base", option)
            if option == chosen:
                self.variant.setCurrentIndex(self.variant.count() - 1)
        self.variant.setVisible(self.variant.count() > 1)

    def _variant_chosen(self, index: int) -> None:
        option = self.variant.itemData(index)
        if self._last_insert is None or not isinstance(option, SnippetVariant):
            return
        snippet, start, inserted = self._last_insert
        text = self.editor.toPlainText()
        if text[start : start + len(inserted)] != inserted:
            self.status.setText("The snippet was edited; insert it again to change its variant.")
            return
        assert self._service is not None
        assert self._mention is not None
        built = self._service.render_snippet(self._mention, snippet, variant=option)
        replacement = (" " if inserted.startswith(" ") else "") + built.rendered.text
        cursor = self.editor.textCursor()
        cursor.setPosition(start)
        cursor.setPosition(start + len(inserted), QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(replacement)
        self.editor.setTextCursor(cursor)
        self._last_insert = (snippet, start, replacement)

    def show_suggestions(self) -> None:
        """Rank snippets for this mention on a worker; the label and palette follow."""
        self._suggested = []
        self.suggestions.clear()
        if self._service is None or self._mention is None or self._jobs is None:
            return
        rank = self._service.snippets.suggestion_job(self._mention)
        mention_id = self._mention.id
        self._jobs.submit(lambda: (_SUGGEST, mention_id, rank()))

    def _suggestions_arrived(self, mention_id: int, ranked: list[tuple[Snippet, float]]) -> None:
        if mention_id != self._mention_id:
            return  # the person moved on
        self._suggested = ranked
        shortcuts = [f"/{s.shortcut}" for s, _ in ranked[:3] if s.shortcut]
        self.suggestions.setText(f"Suggested: {'  '.join(shortcuts)}" if shortcuts else "")
        self.suggestions_did_arrive.emit()

    # --- DM ------------------------------------------------------------------------------------

    def can_go_direct(self) -> bool:
        return (
            self._can_send
            and self._mention is not None
            and self._mention.network is Network.MASTODON  # Bluesky DMs: not supported yet
            and not is_private(self._mention)  # already private
        )

    def why_not_direct(self) -> str:
        """Why this reply cannot become a DM, for the person who asked (empty when it can)."""
        mention = self._mention
        if mention is None:
            return "Select a mention first."
        if not self._can_send:
            return DEMO_NEVER_SENDS
        if mention.network is not Network.MASTODON:
            return "Bluesky direct messages are not supported yet: reply without the details."
        if is_private(mention):
            return "They wrote a direct message: this reply is private already."
        return ""

    def toggle_direct(self) -> None:
        if not self.can_go_direct():
            self.show_outcome(self.why_not_direct())
            return
        self.direct = not self.direct
        self._draft_timer.start()  # the draft keeps its mode, as it keeps its text
        self._show_addressee()
        self._check_soon()
        self.editor.setFocus()

    def _show_addressee(self) -> None:
        mention = self._mention
        self.dm_button.setEnabled(self.can_go_direct())
        if mention is None and self._service is None:
            self.dm_button.setToolTip("")
            self.to_label.clear()
            return
        if mention is None:
            self.to_label.clear()
            return
        if mention.network is not Network.MASTODON:
            self.dm_button.setToolTip("Bluesky direct messages are not supported yet.")
        handle = "@" + mention.author.handle.lstrip("@")
        if self.direct:
            self.to_label.setText(
                f"Private message to {handle} — the thread gets a short note that you sent one"
            )
            self.dm_button.setText("Back to public reply")
            self.send_button.setText("Send DM")
        elif is_private(mention):
            self.to_label.setText(f"Private reply to {handle} (they wrote a direct message)")
            self.dm_button.setEnabled(False)
            self.send_button.setText("Send reply")
        else:
            where = mention.network.value.capitalize()
            self.to_label.setText(f"Public reply to {handle} on {where}")
            self.dm_button.setText("Switch to DM")
            self.send_button.setText("Send reply")

    # --- counting and guardrails ------------------------------------------------------------

    def _text_changed(self) -> None:
        self._update_counter()
        self._check_soon()

    def _update_counter(self) -> None:
        mention = self._mention
        if mention is None or self._service is None:
            self.counter.clear()
            return
        posted = self._service.as_posted(mention, self.editor.toPlainText())
        length = post_length(mention.network, posted)
        unit = "" if mention.network is Network.MASTODON else " graphemes"
        if self._limit is None:
            self.counter.setText(f"{length}{unit}")
            self.counter.setStyleSheet("")
            return
        self.counter.setText(f"{length} / {self._limit}{unit}")
        self.counter.setStyleSheet("color: #b00020" if length > self._limit else "")

    def brand_did_change(self) -> None:
        """The brand profile was edited: check what is typed against the new one now."""
        if self._service is None:
            return
        self._profile = self._service.brand.profile()
        if self._mention is not None and self.editor.toPlainText().strip():
            self.check_now()

    def _check_soon(self) -> None:
        if self._service is not None and self._mention is not None:
            self._check_timer.start()

    def check_now(self) -> None:
        """Run the guardrails on the current text, on a worker thread."""
        self._check_timer.stop()
        service, mention, jobs = self._service, self._mention, self._jobs
        if service is None or mention is None or jobs is None:
            return
        text = self.editor.toPlainText()
        if not text.strip():
            self._show_findings([], text)
            return
        # The few quick reads happen here; the slow part (language) on the worker.
        context = service.context(
            mention, text, direct=self.direct, confirmed=self.confirm_personal_data.isChecked()
        )
        profile = self._profile
        self._check_number += 1
        number = self._check_number
        self._checking = (number, text, self.direct)

        # Matched by our own number, not the job id: a job that finishes at once reports
        # before submit() has returned its id.
        def check() -> tuple[object, int, list[Finding] | Exception]:
            try:
                return _CHECK, number, service.check_context(context, profile)
            except Exception as error:  # reported in the composer, never lost in the pool
                return _CHECK, number, error

        jobs.submit(check)

    def _job_finished(self, job_id: int, result: object) -> None:
        if isinstance(result, tuple) and len(result) == 3 and result[0] is _SUGGEST:
            self._suggestions_arrived(result[1], result[2])
            return
        if not (isinstance(result, tuple) and len(result) == 3 and result[0] is _CHECK):
            return
        _, number, findings_found = result
        if self._checking is None or number != self._checking[0]:
            return  # an older check: a newer one is on its way
        _, text, direct = self._checking
        self._checking = None
        if isinstance(findings_found, Exception):
            self._send_when_checked = False
            self.status.setText(f"The guardrails could not check this reply: {findings_found}")
            return
        if text != self.editor.toPlainText() or direct != self.direct:
            self._check_soon()  # typed on meanwhile: look again
            if self._send_when_checked:  # never send a text nobody pressed Send for
                self._send_when_checked = False
                self.status.setText("The reply changed while it was checked: send it again.")
            return
        findings = list(findings_found)
        self._show_findings(findings, text)
        if self._send_when_checked:
            self._send_when_checked = False
            self._send_checked()

    def _show_findings(self, findings: list[Finding], text: str | None) -> None:
        self.findings = findings
        self._findings_for = text
        self.guardrails.show_findings(findings)
        personal = any(f.kind == "pii" for f in findings)
        self.confirm_personal_data.setVisible(personal or self.confirm_personal_data.isChecked())
        self.findings_did_change.emit(findings)

    # --- sending ----------------------------------------------------------------------------------

    def _send(self) -> None:
        text = self.editor.toPlainText()
        if self._mention_id is not None and text.strip() and not self._can_send:
            # Ctrl+Enter must not look like it did nothing.
            self.show_outcome(DEMO_NEVER_SENDS)
            return
        if self._mention_id is None or not text.strip() or not self.send_button.isEnabled():
            return
        if self._service is None:
            self.reply_was_requested.emit(self._mention_id, text)
            return
        prompts = [m.group("key").strip() for m in PLACEHOLDER.finditer(text) if m.group("ask")]
        if prompts:
            self._ask_fill_ins(list(dict.fromkeys(prompts)))
            return
        self._send_when_checked = True
        self.status.setText("Checking…")
        self.check_now()

    def _ask_fill_ins(self, prompts: list[str]) -> None:
        dialog = FillInDialog(prompts, self)
        self.fill_ins = dialog

        def filled() -> None:
            answers = {prompt_key(k): v for k, v in dialog.answers().items()}

            def answer(match: re.Match[str]) -> str:
                if not match.group("ask"):
                    return match.group(0)
                return answers.get(prompt_key(match.group("key")), match.group(0))

            self.editor.setPlainText(PLACEHOLDER.sub(answer, self.editor.toPlainText()))
            self.editor.moveCursor(QTextCursor.MoveOperation.End)
            self.fill_ins = None
            self._send()

        dialog.accepted.connect(filled)
        dialog.rejected.connect(lambda: setattr(self, "fill_ins", None))
        dialog.open()

    def _send_checked(self) -> None:
        mention_id, text = self._mention_id, self.editor.toPlainText()
        if mention_id is None or self._mention is None or self._service is None:
            return
        stops = blocking(self.findings)
        if stops:
            self.status.setText(f"Not sent: {stops[0].message} {stops[0].fix}")
            return
        self.status.setText("Queueing…")
        if self.direct:
            self.direct_reply_was_requested.emit(
                mention_id, text, self._service.dm_note(self._mention)
            )
        else:
            self.reply_was_requested.emit(mention_id, text)

    def reply_was_queued(self) -> None:
        if self._service is not None:
            for snippet_id in self._inserted:
                self._service.snippets.record_use(snippet_id, self._mention_id)
        self._inserted.clear()
        self._last_insert = None
        self.variant.hide()
        self.editor.blockSignals(True)
        self.editor.clear()  # the text is safe in the outbox now
        self.editor.blockSignals(False)
        self._draft_timer.stop()
        self._check_timer.stop()
        self.direct = False
        self.confirm_personal_data.setChecked(False)
        self._show_findings([], "")
        self._show_addressee()
        self._update_counter()
        self.show_suggestions()
        self.status.setText("Queued: sending…")

    def show_outcome(self, message: str) -> None:
        self.status.setText(message)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.editor.toPlainText().strip():
            self._check_soon()

    def hideEvent(self, event: QHideEvent) -> None:
        # The window is closing (its workspace with it): no check may start after that.
        self._check_timer.stop()
        self._send_when_checked = False
        super().hideEvent(event)


def install_composer(window: Any, workspace: Workspace) -> None:
    """Give the main window's reply box its snippets and guardrails, and a Reply menu."""
    from ui.compose.brand_dialog import BrandDialog
    from ui.compose.snippet_manager import SnippetManager

    composer = workspace.composer
    box: Composer = window.detail_pane.reply_box
    box.attach(composer, window.jobs)
    box.direct_reply_was_requested.connect(
        lambda mention_id, text, note: _send_direct(window, workspace, mention_id, text, note)
    )
    menu = window.menuBar().addMenu("&Reply")

    def add(text: str, slot: Any, key: str | None = None) -> QAction:
        action = QAction(text, window)
        if key:
            action.setShortcut(QKeySequence(key))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def palette() -> None:
        box.editor.setFocus()
        box.open_palette()

    def manager() -> None:
        dialog = SnippetManager(composer, box.mention_id, window)
        window.snippet_manager = dialog
        dialog.snippets_did_change.connect(box.show_suggestions)
        dialog.show()

    def brand_voice() -> None:
        dialog = BrandDialog(workspace.brand, window)
        window.brand_dialog = dialog
        dialog.profile_did_change.connect(box.brand_did_change)
        dialog.open()

    window.write_reply_action = add("&Write reply", box.editor.setFocus, "Ctrl+R")
    window.insert_snippet_action = add("Insert &snippet…", palette, "Ctrl+Shift+S")
    window.switch_to_dm_action = add("Switch to &DM", box.toggle_direct, "Ctrl+Shift+D")
    window.snippet_manager_action = add("Snippet &manager…", manager, "Ctrl+Shift+M")
    window.brand_voice_action = add("&Brand voice…", brand_voice)


def _send_direct(window: Any, workspace: Workspace, mention_id: int, text: str, note: str) -> None:
    """The private message and the public note, queued together; the message goes first."""
    window.sync.send_reply(mention_id, text, note)
