"""The one dispatcher of change sets: every operation's `Changes` is handed to
`operation_did_execute`, and each view (list, counts, badges, tray, outbox line, status bar,
composer) decides from it what to refresh. No widget calls another widget's `refresh()`."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.changes import NOTHING, Changes


class ChangeDispatcher(QObject):
    """Views connect `changes_did_happen(changes, initiator)`; `initiator` is whoever ran the
    operation (a widget or the sync controller), so a view can tell its own changes apart."""

    changes_did_happen = Signal(object, object)  # Changes, initiator (or None)

    def operation_did_execute(self, changes: Changes, initiator: object | None = None) -> None:
        """Tell every view what an operation changed (nothing is said for no change)."""
        if changes:
            self.changes_did_happen.emit(changes, initiator)


def changes_of(result: object) -> Changes:
    """The change set an operation's result carries: a `Changes`, or a result with a
    `changes` attribute (triage changes, sync reports, queued replies); else nothing."""
    if isinstance(result, Changes):
        return result
    carried = getattr(result, "changes", None)
    return carried if isinstance(carried, Changes) else NOTHING
