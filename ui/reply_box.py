"""Replying in-thread from the detail pane: the text goes to the outbox, then the sync sends it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget


class ReplyBox(QWidget):
    reply_was_requested = Signal(int, str)  # mention id, text

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
        shortcut = QShortcut(QKeySequence("Ctrl+Return"), self.editor)
        shortcut.activated.connect(self._send)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.editor)
        layout.addLayout(row)

    def show_mention(self, mention_id: int | None) -> None:
        if mention_id != self._mention_id:
            self._mention_id = mention_id
            self.status.clear()

    def _send(self) -> None:
        text = self.editor.toPlainText()
        if self._mention_id is None or not text.strip() or not self.send_button.isEnabled():
            return
        self.reply_was_requested.emit(self._mention_id, text)

    def reply_was_queued(self) -> None:
        self.editor.clear()  # the text is safe in the outbox now
        self.status.setText("Queued: sending…")

    def show_outcome(self, message: str) -> None:
        self.status.setText(message)
