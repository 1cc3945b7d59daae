"""From the team link's thread to the GUI thread: what the link hears, as queued Qt signals."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.team.apply import AppliedBatch
from app.team.presence import Presence
from app.team.status import TeamStatus


class TeamBridge(QObject):
    """A `TeamListener` whose calls (on the link's thread) become signals: their slots run on
    the thread this object lives in (the GUI thread), never on the link's."""

    batch_did_arrive = Signal(object)  # AppliedBatch
    status_did_change = Signal(object)  # TeamStatus
    presence_did_change_signal = Signal(object)  # {mention digest: [Presence]}

    def team_did_apply(self, batch: AppliedBatch) -> None:
        self.batch_did_arrive.emit(batch)

    def team_status_did_change(self, status: TeamStatus) -> None:
        self.status_did_change.emit(status)

    def presence_did_change(self, presence: dict[str, list[Presence]]) -> None:
        self.presence_did_change_signal.emit(presence)
