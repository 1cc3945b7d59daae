"""Replying in-thread from the detail pane: the text goes to the outbox, then the sync sends it."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

# Typing pauses this long before the draft is saved.
DRAFT_DELAY_MS = 300


class ReplyBox(QWidget):
    reply_was_requested = Signal(int, str)  # mention id, text
    draft_did_change = Signal(int, str)  # mention id, text: save it (debounced)

    def __init__(self, *, can_send: bool) -> None:
        super().__init__()
        self._mention_id: int | None = None
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("Reply in the thread…   (Ctrl+Enter sends)")
        self.editor.setAccessibleName("Reply")
        self.editor.setMaximumHeight(self.fontMetrics().height() * 6)
        self.send_button = QPushButton("Send reply")
        self.send_button.setEnabled(can_send)
        if not can_send:
            self.send_button.setToolTip("The demo workspace never sends anything.")
        self.send_button.clicked.connect(self._send)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Only while the reply box has focus: never send from elsewhere in the window.
        shortcut = QShortcut(QKeySequence("Ctrl+Return"), self.editor)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self._send)
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DELAY_MS)
        self._draft_timer.timeout.connect(self.save_draft_now)
        self.editor.textChanged.connect(self._draft_timer.start)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.editor)
        layout.addLayout(row)

    def show_mention(self, mention_id: int | None, draft: str = "") -> None:
        """Switch to another mention: what was typed for the last one is saved first, and the
        new one's draft comes back."""
        if mention_id == self._mention_id:
            return
        self.save_draft_now()
        self._mention_id = mention_id
        self.status.clear()
        self.editor.blockSignals(True)
        self.editor.setPlainText(draft)
        self.editor.moveCursor(QTextCursor.MoveOperation.End)  # carry on where you left off
        self.editor.blockSignals(False)
        self.editor.setEnabled(mention_id is not None)

    def save_draft_now(self) -> None:
        self._draft_timer.stop()
        if self._mention_id is not None:
            self.draft_did_change.emit(self._mention_id, self.editor.toPlainText())

    def _send(self) -> None:
        text = self.editor.toPlainText()
        if self._mention_id is None or not text.strip() or not self.send_button.isEnabled():
            return
        self.reply_was_requested.emit(self._mention_id, text)

    def reply_was_queued(self) -> None:
        self.editor.blockSignals(True)
        self.editor.clear()  # the text is safe in the outbox now
        self.editor.blockSignals(False)
        self._draft_timer.stop()
        self.status.setText("Queued: sending…")

    def show_outcome(self, message: str) -> None:
        self.status.setText(message)
