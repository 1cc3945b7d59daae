"""Channel health: per account, whether syncing works, when it last did, and what limits it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from storage.records import AccountState, utc_now

from app.sync.health import BudgetRefused, ChannelHealth, HealthService

from ui.changes import ChangeDispatcher
from ui.sync.controller import SyncController
from ui.write_guard import WriteGuard

_STATE_COLOURS = {
    AccountState.OK: "#1b7f3b",
    AccountState.OFFLINE: "#8a6d00",
    AccountState.RATE_LIMITED: "#8a6d00",
    AccountState.NEEDS_SIGN_IN: "#b00020",
    AccountState.ERROR: "#b00020",
}


class ChannelHealthDialog(QDialog):
    def __init__(
        self,
        health: HealthService,
        sync: SyncController,
        parent: QWidget | None = None,
        *,
        guard: WriteGuard | None = None,
        changes: ChangeDispatcher | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Channel health — Heedful")
        self.resize(560, 420)
        self._health = health
        self._sync = sync
        self._guard = guard or WriteGuard(self)
        self._changes = changes
        self._cards = QWidget()
        self._cards_layout = QVBoxLayout(self._cards)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._cards)
        self.online_label = QLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.sync_button = buttons.addButton("&Sync now", QDialogButtonBox.ButtonRole.ActionRole)
        self.sync_button.setEnabled(sync.enabled)
        self.sync_button.clicked.connect(sync.sync_now)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.online_label)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        self.state_labels: dict[int, QLabel] = {}  # account id -> its state, for tests
        self.skipped_labels: dict[int, QLabel] = {}
        self.held_back_labels: dict[int, QLabel] = {}
        self.spend_labels: dict[int, QLabel] = {}  # metered accounts (X) only
        self.budget_editors: dict[int, BudgetEditor] = {}
        sync.account_did_sync.connect(lambda _report: self.refresh())
        sync.online_did_change.connect(lambda _online: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        # A budget being typed survives the refresh every sync brings.
        typing = {i: e.typed() for i, e in self.budget_editors.items() if e.is_edited()}
        while self._cards_layout.count():
            taken = self._cards_layout.takeAt(0)
            if taken is not None and (widget := taken.widget()) is not None:
                widget.deleteLater()
        self.state_labels.clear()
        self.skipped_labels.clear()
        self.held_back_labels.clear()
        self.spend_labels.clear()
        self.budget_editors.clear()
        self.online_label.setText(
            f"Heedful is <b>{'online' if self._sync.online else 'offline'}</b>; "
            f"{self._health.queued_replies()} replies waiting to be sent."
        )
        channels = self._health.channels()
        if not channels:
            self._cards_layout.addWidget(QLabel("No account yet: Accounts → Add."))
        for channel in channels:
            self._cards_layout.addWidget(self._card(channel))
        for account_id, typed in typing.items():
            if account_id in self.budget_editors:
                self.budget_editors[account_id].retype(*typed)
        self._cards_layout.addStretch(1)

    def _card(self, channel: ChannelHealth) -> QGroupBox:
        now = utc_now()
        account = channel.account
        card = QGroupBox(f"{account.handle} — {account.network.value.capitalize()}")  # plain
        form = QFormLayout(card)
        state = _plain(channel.state_text())  # may quote what the server said
        state.setStyleSheet(f"color: {_STATE_COLOURS[channel.state]}; font-weight: bold")
        state.setWordWrap(True)
        state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state_labels[account.id] = state
        form.addRow("State:", state)
        if channel.state is AccountState.NEEDS_SIGN_IN:
            form.addRow("", QLabel("Sign in again: Accounts → Add, with the same account."))
        form.addRow("Last successful sync:", _plain(channel.last_sync_text(now)))
        form.addRow("Items fetched:", _plain(channel.fetched_text()))
        form.addRow("Rate-limit budget left:", _plain(channel.budget_text()))
        form.addRow("Sign-in token expires:", _plain(channel.token_text(now)))
        skipped = _plain(channel.skipped_text())
        skipped.setWordWrap(True)
        skipped.setToolTip("Items the network sent that Heedful could not store safely")
        self.skipped_labels[account.id] = skipped
        form.addRow("Items skipped:", skipped)
        if channel.deleted_before_fetch:
            form.addRow("Deleted before fetching:", _plain(channel.deleted_text()))
        if account.network.value == "mastodon":
            held = _plain(channel.held_back_text())
            held.setWordWrap(True)
            held.setToolTip(
                "Mastodon 4.3+ holds notifications back as requests (its notification policy);"
                " Heedful shows them in the inbox, marked filtered: accept or dismiss them from"
                " the Mention menu."
            )
            self.held_back_labels[account.id] = held
            form.addRow("Held back by the server:", held)
        if channel.spend is not None:
            spend = channel.spend
            spent = _plain(f"{spend.text()}\n{spend.budget_text()}")
            spent.setWordWrap(True)
            spent.setToolTip(
                "What X bills for, counted as Heedful reads and posts (an upper bound: X "
                "counts a post read twice in one UTC day once). X's developer console has "
                "the real figures."
            )
            self.spend_labels[account.id] = spent
            form.addRow("Spent:", spent)
            if spend.wall_text():
                wall = _plain(spend.wall_text())
                wall.setWordWrap(True)
                form.addRow("History:", wall)
            editor = BudgetEditor(spend.limits.daily_read_budget)
            editor.save_button.clicked.connect(lambda: self._save_budget(account.id))
            self.budget_editors[account.id] = editor
            form.addRow("Daily read budget:", editor)
        return card

    def _save_budget(self, account_id: int) -> None:
        editor = self.budget_editors[account_id]
        budget = editor.budget()
        try:
            attempt = self._guard.attempt(
                "The read budget", lambda: self._health.set_read_budget(account_id, budget)
            )
        except BudgetRefused as refused:
            editor.status.setText(str(refused))
            return
        if attempt.value is None:
            editor.status.setText(attempt.message("The read budget"))
            return
        if self._changes is not None:
            self._changes.operation_did_execute(attempt.value, self)
        self.refresh()
        self.budget_editors[account_id].status.setText("Saved.")


class BudgetEditor(QWidget):
    """A metered account's daily read budget: on or off, and how many reads."""

    def __init__(self, budget: int | None) -> None:
        super().__init__()
        self.limited = QCheckBox("at most")
        self.reads = QSpinBox()
        self.reads.setRange(0, 100_000_000)
        self.reads.setSingleStep(100)
        self.reads.setGroupSeparatorShown(True)
        self.reads.setSuffix(" reads per UTC day")
        self.reads.setAccessibleName("Daily read budget")
        self.save_button = QPushButton("Save budget")
        self.status = _plain("")
        self._saved = (budget is not None, budget or 0)
        self.retype(*self._saved)
        self.limited.toggled.connect(self.reads.setEnabled)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.limited)
        row.addWidget(self.reads, 1)
        row.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.status)

    def budget(self) -> int | None:
        return self.reads.value() if self.limited.isChecked() else None

    def typed(self) -> tuple[bool, int]:
        return self.limited.isChecked(), self.reads.value()

    def is_edited(self) -> bool:
        return self.typed() != self._saved

    def retype(self, limited: bool, reads: int) -> None:
        self.limited.setChecked(limited)
        self.reads.setValue(reads)
        self.reads.setEnabled(limited)


def _plain(text: str) -> QLabel:
    """A label that shows its text as it is: words from a server are never read as HTML."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label
