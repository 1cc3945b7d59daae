"""Where the link with the team stands, and who hears about it (no network client here: the
window imports this at start-up)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from app.changes import Changes
from app.team.apply import AppliedBatch
from app.team.presence import Presence


@dataclass(frozen=True, slots=True)
class TeamStatus:
    team: str
    connected: bool
    waiting: int  # changes of ours the server does not have yet
    last_exchange_at: datetime | None
    detail: str = ""  # why it is offline, in words

    def sentence(self) -> str:
        if self.connected:
            waiting = f", {self.waiting} to publish" if self.waiting else ""
            return f"Team {self.team}: connected{waiting}"
        noun = "change" if self.waiting == 1 else "changes"
        waiting = f" with {self.waiting} {noun} waiting" if self.waiting else ""
        return f"Team {self.team}: offline{waiting}"


@dataclass
class ExchangeReport:
    published: int = 0
    applied: int = 0
    conflicts: int = 0
    rejected: int = 0
    changes: Changes = field(default_factory=Changes)
    notices: list[str] = field(default_factory=list)


class TeamListener(Protocol):
    """Told (on the link's thread) what happened; the window turns these into signals."""

    def team_did_apply(self, batch: AppliedBatch) -> None: ...

    def team_status_did_change(self, status: TeamStatus) -> None: ...

    def presence_did_change(self, presence: dict[str, list[Presence]]) -> None: ...
