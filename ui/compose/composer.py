"""The composer: replying to the selected mention in the brand's voice.

Snippets go in at the cursor (`/shortcut` + Tab, or the palette), in the variant for the
mention's language and network; the guardrails run off the GUI thread after a pause in typing
and are listed under the editor; fill-ins are asked for before sending; blocking findings stop
the send. "Switch to DM" turns the reply into a private message, and sending it also posts a
short public note in the thread. Drafts are saved as you type.

Without a ComposerService attached (`attach`) it is a plain reply box.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

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

from storage.records import Mention
from storage.snippets import Snippet, SnippetVariant

from app.bootstrap import Workspace
from app.changes import Changes
from app.compose.brand import BrandProfile
from app.compose.guardrails import Finding, ReplyContext, blocking
from app.compose.placeholders import PLACEHOLDER, prompt_key
from app.compose.replies import ComposerService, is_private
from app.compose.snippets import variants_of
from app.networks.registry import network_info, post_length
from app.text import language

from ui.changes import ChangeDispatcher
from ui.compose.fill_ins import FillInDialog
from ui.compose.guardrail_list import GuardrailList
from ui.compose.snippet_palette import SnippetPalette
from ui.tasks import Lane, TaskHandle, Tasks
from ui.write_guard import WriteGuard

# Typing pauses this long before the draft is saved.
DRAFT_DELAY_MS = 300
# ... and this long before the guardrails look again.
CHECK_DELAY_MS = 350
# A draft the store refused (disk full, database locked) is tried again this often.
DRAFT_RETRY_MS = 3000

_SHORTCUT_BEFORE_CURSOR = re.compile(r"(?:^|\s)/([\w-]+)$")


LANGUAGE_WARM_UP_MS = 1500  # after the first paint, so start-up does not share the CPU

DEMO_NEVER_SENDS = (
    "The demo workspace never sends anything: add your own account (Accounts → Add…) to reply."
)


class DraftKeeper(Protocol):
    """Where drafts are kept (storage.drafts.DraftRepository)."""

    def save(self, mention_id: int, body: str, mode: str | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """One guardrail check: this text, for this mention, in this mode. Its findings are used
    only while all of it still holds (a check still running when the person moves to another
    mention, whose draft may be the same text, is about the first mention, not the second)."""

    number: int
    mention_id: int
    text: str
    direct: bool
    confirmed: bool


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
    # Switched to DM on a network where the author may refuse DMs: ask the network (mention id).
    direct_check_was_requested = Signal(int)
    draft_did_change = Signal(int, str, str)  # mention id, text, 'public' | 'direct' (debounced)
    findings_did_change = Signal(list)  # [Finding] for the current text
    suggestions_did_arrive = Signal()

    def __init__(self, *, can_send: bool) -> None:
        super().__init__()
        self._can_send = can_send
        self._mention_id: int | None = None
        self._mention: Mention | None = None
        self._service: ComposerService | None = None
        self._tasks: Tasks | None = None
        self._drafts: DraftKeeper | None = None
        self._guard = WriteGuard(self)
        self._changes: ChangeDispatcher | None = None
        # What the store holds for the mention shown: (mention id, text, mode).
        self._saved: tuple[int, str, str] | None = None
        self._profile = BrandProfile()
        self._limit: int | None = None
        self.direct = False
        self.findings: list[Finding] = []
        self._findings_for: str | None = None  # the text the findings are about
        self._check_number = 0
        self._check: TaskHandle[list[Finding]] | None = None  # the live check running now
        self._sending: asyncio.Task[None] | None = None  # Send pressed: checking, then queueing
        self._suggesting: TaskHandle[list[tuple[Snippet, float]]] | None = None
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
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # may quote a server's words
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Says, until it is no longer true, that what is typed is not in the store yet.
        self.draft_problem = QLabel()
        self.draft_problem.setObjectName("draftNotSaved")
        self.draft_problem.setWordWrap(True)
        self.draft_problem.setTextFormat(Qt.TextFormat.PlainText)
        self.draft_problem.setStyleSheet("color: #b00020; font-weight: bold")
        self.draft_problem.hide()
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
        self.draft_retry = QTimer(self)
        self.draft_retry.setSingleShot(True)
        self.draft_retry.setInterval(DRAFT_RETRY_MS)
        self.draft_retry.timeout.connect(self.save_draft_now)
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
        layout.addWidget(self.draft_problem)
        layout.addWidget(self.status)

    # --- wiring ------------------------------------------------------------------------------

    def attach(self, service: ComposerService, tasks: Tasks) -> None:
        """Snippets, counting and guardrails come from `service`; checks run on `tasks`'
        local lane (never behind a network wait)."""
        self._service = service
        self._tasks = tasks
        self.palette_button.setEnabled(self._mention_id is not None)
        # The language model takes seconds to load: load it once the window is up, not at
        # the first check (the first guardrails of a session would wait for it).
        QTimer.singleShot(LANGUAGE_WARM_UP_MS, self, self._warm_up_language)

    def keep_drafts(
        self,
        drafts: DraftKeeper,
        guard: WriteGuard | None = None,
        changes: ChangeDispatcher | None = None,
    ) -> None:
        """Save what is typed to `drafts`, through `guard` (a refused write keeps the text,
        says so, and is tried again), and tell `changes` (the row's draft badge)."""
        self._drafts = drafts
        if guard is not None:
            self._guard = guard
        self._changes = changes

    def changes_did_happen(self, changes: Changes, _initiator: object) -> None:
        """Another part of the window changed snippets or the brand voice."""
        if changes.snippets:
            self.show_suggestions()
        if changes.brand_profile:
            self.brand_did_change()

    def _can_run(self) -> bool:
        return self._tasks is not None and not self._tasks.stop.is_set()

    def _warm_up_language(self) -> None:
        if self._tasks is not None and self._can_run():
            self._tasks.run(language.load, lane=Lane.LOCAL, owner=self)

    @property
    def mention_id(self) -> int | None:
        return self._mention_id

    def show_mention(self, mention_id: int | None, draft: str = "", direct: bool = False) -> bool:
        """Switch to another mention: what was typed for the last one is saved first, and the
        new one's draft comes back, as a private message when `direct` (if it can be one).
        False, staying on the last one, when its text could not be saved: it is never
        dropped silently."""
        if mention_id == self._mention_id:
            return True
        if not self.save_draft_now():
            self.status.setText(
                "Still here: this reply is not saved yet, so Heedful does not move on without it."
            )
            return False
        self._forget_work()
        self._mention_id = mention_id
        self._saved = None if mention_id is None else (mention_id, draft, _mode(direct))
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
        return True

    def _forget_work(self) -> None:
        """Checks and a send in flight are about the mention being left: drop them."""
        self._check_timer.stop()
        for handle in (self._check, self._suggesting):
            if handle is not None:
                handle.cancel()
        self._check = self._suggesting = None
        if self._sending is not None:
            self._sending.cancel()
            self._sending = None

    def save_draft_now(self) -> bool:
        """Save what is typed as the mention's draft. False when the store refused it: the
        text stays, the composer says it is not saved yet, and it is tried again soon."""
        self._draft_timer.stop()
        mention_id = self._mention_id
        if mention_id is None:
            return True
        text, mode = self.editor.toPlainText(), _mode(self.direct)
        drafts = self._drafts
        if drafts is None:  # a plain reply box: whoever listens keeps the draft
            self.draft_did_change.emit(mention_id, text, mode)
            return True
        if self._saved == (mention_id, text, mode):
            return True
        attempt = self._guard.attempt(
            self._reply_words(),
            lambda: drafts.save(mention_id, text, mode),
            key=f"draft:{mention_id}",
        )
        if not attempt.ok:
            self.draft_problem.setText(
                f"Not saved yet: {attempt.problem} The text stays here and Heedful tries again."
            )
            self.draft_problem.show()
            self.draft_retry.start()
            return False
        self._saved = (mention_id, text, mode)
        self.draft_retry.stop()
        self.draft_problem.hide()
        self.draft_did_change.emit(mention_id, text, mode)
        if self._changes is not None:
            self._changes.operation_did_execute(Changes.of(drafts=[mention_id]), self)
        return True

    def _reply_words(self) -> str:
        if self._mention is None:
            return "Your reply"
        return f"Your reply to @{self._mention.author.handle.lstrip('@')}"

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
        if self._suggesting is not None:
            self._suggesting.cancel()
            self._suggesting = None
        if self._service is None or self._mention is None or self._tasks is None:
            return
        if not self._can_run():
            return
        rank = self._service.snippets.suggestion_job(self._mention)
        self._suggesting = self._tasks.run(
            rank,
            on_done=partial(self._suggestions_arrived, self._mention.id),
            owner=self,
            lane=Lane.LOCAL,
        )

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
            and network_info(self._mention.network).direct_messages.supported
            and not is_private(self._mention)  # already private
        )

    def why_not_direct(self) -> str:
        """Why this reply cannot become a DM, for the person who asked (empty when it can)."""
        mention = self._mention
        if mention is None:
            return "Select a mention first."
        if not self._can_send:
            return DEMO_NEVER_SENDS
        if not network_info(mention.network).direct_messages.supported:
            return network_info(mention.network).direct_messages.why_not
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
        mention = self._mention
        if self.direct and mention and network_info(mention.network).direct_messages.may_be_closed:
            self.direct_check_was_requested.emit(mention.id)

    def direct_was_refused(self, mention_id: int, why: str) -> None:
        """The network says the author takes no DM from the brand: back to a public reply,
        the text as it is, and why on screen."""
        if mention_id != self._mention_id or not why:
            return
        if self.direct:
            self.direct = False
            self._draft_timer.start()
            self._show_addressee()
            self._check_soon()
        self.show_outcome(why)

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
        if not network_info(mention.network).direct_messages.supported:
            self.dm_button.setToolTip(network_info(mention.network).direct_messages.why_not)
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
            where = network_info(mention.network).label
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
        counted = network_info(mention.network).length.counted
        if self._limit is None:
            self.counter.setText(counted(length))
            self.counter.setStyleSheet("")
            return
        self.counter.setText(f"{length} / {counted(self._limit)}")
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
        """Run the guardrails on the current text, on the local lane; the findings are shown
        if they still match what is on screen when they come back."""
        self._check_timer.stop()
        if self._check is not None:
            self._check.cancel()  # a newer check is on its way
            self._check = None
        prepared = self._prepare_check()
        if prepared is None or self._tasks is None or not self._can_run():
            return
        request, check = prepared
        self._check = self._tasks.run(
            check,
            on_done=partial(self._checked, request),
            on_error=partial(self._check_failed, request),
            owner=self,
            lane=Lane.LOCAL,
        )

    def _prepare_check(self) -> tuple[CheckRequest, Callable[[], list[Finding]]] | None:
        """What to check now and the work that checks it (None: nothing to check). The few
        quick reads happen here; the slow part (language) on the worker."""
        service, mention = self._service, self._mention
        if service is None or mention is None:
            return None
        text = self.editor.toPlainText()
        if not text.strip():
            self._show_findings([], text)
            return None
        confirmed = self.confirm_personal_data.isChecked()
        context: ReplyContext = service.context(
            mention, text, direct=self.direct, confirmed=confirmed
        )
        profile = self._profile
        self._check_number += 1
        request = CheckRequest(self._check_number, mention.id, text, self.direct, confirmed)
        return request, lambda: service.check_context(context, profile)

    def _still_current(self, request: CheckRequest) -> bool:
        """Whether the findings for `request` are about what is on screen now."""
        return (
            request.mention_id == self._mention_id
            and request.text == self.editor.toPlainText()
            and request.direct == self.direct
            and request.confirmed == self.confirm_personal_data.isChecked()
        )

    def _checked(self, request: CheckRequest, findings: list[Finding]) -> None:
        self._check = None
        if not self._still_current(request):
            if request.mention_id == self._mention_id:
                self._check_soon()  # typed on meanwhile: look again
            return
        self._show_findings(list(findings), request.text)

    def _check_failed(self, request: CheckRequest, error: Exception) -> None:
        self._check = None
        if request.mention_id == self._mention_id:
            self.status.setText(f"The guardrails could not check this reply: {error}")

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
        if self._tasks is None or not self._can_run():
            return
        if self._sending is not None:
            self._sending.cancel()  # pressed again: the newest text is the one that goes
        self._sending = self._tasks.spawn(self._check_then_send(), owner=self)

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

    async def _check_then_send(self) -> None:
        """Send pressed: the guardrails look at exactly this text for exactly this mention
        (on the local lane: a slow network never delays it), then it goes to the outbox."""
        prepared = self._prepare_check()
        if prepared is None or self._tasks is None:
            return
        request, check = prepared
        self.status.setText("Checking…")
        try:
            findings: list[Finding] = await self._tasks.call(check, lane=Lane.LOCAL, owner=self)
        except Exception as error:  # a bug in a guardrail must not lose the reply: say so
            if request.mention_id == self._mention_id:
                self.status.setText(f"The guardrails could not check this reply: {error}")
            return
        finally:
            if self._sending is asyncio.current_task():
                self._sending = None
        if not self._still_current(request):
            if request.mention_id == self._mention_id:  # never send a text nobody sent
                self.status.setText("The reply changed while it was checked: send it again.")
                self._check_soon()
            return
        self._show_findings(list(findings), request.text)
        self._send_checked()

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
            inserted = list(self._inserted)
            mention_id = self._mention_id
            service = self._service

            def record_uses() -> None:
                for snippet_id in inserted:
                    service.snippets.record_use(snippet_id, mention_id)

            # Suggestions learn from it; the reply is queued whether or not this is kept.
            self._guard.attempt("Which snippets this reply used", record_uses)
        if self._mention_id is not None:
            self._saved = (self._mention_id, "", "public")  # queueing cleared the draft
            self._guard.forget(f"draft:{self._mention_id}")
        self.draft_retry.stop()
        self.draft_problem.hide()
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
        self._forget_work()
        self.draft_retry.stop()
        super().hideEvent(event)


def _mode(direct: bool) -> str:
    return "direct" if direct else "public"


def install_composer(window: Any, workspace: Workspace) -> None:
    """Give the main window's reply box its snippets and guardrails, and a Reply menu."""
    from ui.compose.brand_dialog import BrandDialog
    from ui.compose.snippet_manager import SnippetManager

    composer = workspace.composer
    box: Composer = window.detail_pane.reply_box
    box.attach(composer, window.tasks)
    window.changes.changes_did_happen.connect(box.changes_did_happen)
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
        dialog = SnippetManager(
            composer, box.mention_id, window, changes=window.changes, guard=window.guard
        )
        window.snippet_manager = dialog
        dialog.show()

    def brand_voice() -> None:
        dialog = BrandDialog(workspace.brand, window, changes=window.changes, guard=window.guard)
        window.brand_dialog = dialog
        dialog.open()

    window.write_reply_action = add("&Write reply", box.editor.setFocus, "Ctrl+R")
    window.insert_snippet_action = add("Insert &snippet…", palette, "Ctrl+Shift+S")
    window.switch_to_dm_action = add("Switch to &DM", box.toggle_direct, "Ctrl+Shift+D")
    window.snippet_manager_action = add("Snippet &manager…", manager, "Ctrl+Shift+M")
    window.brand_voice_action = add("&Brand voice…", brand_voice)


def _send_direct(window: Any, workspace: Workspace, mention_id: int, text: str, note: str) -> None:
    """The private message and the public note, queued together; the message goes first."""
    window.sync.send_reply(mention_id, text, note)
