"""What an operation changed, as a value: every view decides from it whether to refresh.

Every app operation that writes (triage, queueing or sending a reply, a sync, a snippet edit,
a teammate's change arriving) returns a `Changes`, or a result that carries one. The window
hands it to one dispatcher (`ui.changes`), which tells the list, the counts, the badges, the
tray and the outbox line; no widget calls another widget's `refresh()` after an operation.
(The pattern is Anki's `OpChanges` and `operation_did_execute`.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields


def _ids(values: Iterable[int] | None) -> frozenset[int]:
    return frozenset(values or ())


@dataclass(frozen=True, slots=True)
class Changes:
    """Ids of what changed, by kind. Empty sets mean "not touched"; combine with `|`."""

    # Mentions whose row changed in any way the list shows (text, triage, badges, deleted).
    mentions: frozenset[int] = frozenset()
    # Mentions that are new in the store (a sync, a teammate's laptop): also in `mentions`.
    added: frozenset[int] = frozenset()
    # Mentions whose triage state (status, assignee, priority, snooze, tags, notes) changed.
    triage: frozenset[int] = frozenset()
    # Mentions whose draft changed.
    drafts: frozenset[int] = frozenset()
    # Outbox items (replies) whose state changed, and the mentions they answer are in
    # `mentions` as well (their badges change).
    outbox: frozenset[int] = frozenset()
    snippets: frozenset[int] = frozenset()
    accounts: frozenset[int] = frozenset()
    saved_views: bool = False
    brand_profile: bool = False
    settings: bool = False
    # What it was, for the status bar ("Marked 3 mentions done"); the last one wins in `|`.
    description: str = field(default="", compare=False)

    @classmethod
    def of(
        cls,
        *,
        mentions: Iterable[int] | None = None,
        added: Iterable[int] | None = None,
        triage: Iterable[int] | None = None,
        drafts: Iterable[int] | None = None,
        outbox: Iterable[int] | None = None,
        snippets: Iterable[int] | None = None,
        accounts: Iterable[int] | None = None,
        saved_views: bool = False,
        brand_profile: bool = False,
        settings: bool = False,
        description: str = "",
    ) -> Changes:
        """Build from any iterables; triage, drafts and added mentions count as changed
        mentions too (their rows show them)."""
        triaged, drafted, new = _ids(triage), _ids(drafts), _ids(added)
        return cls(
            mentions=_ids(mentions) | triaged | drafted | new,
            added=new,
            triage=triaged,
            drafts=drafted,
            outbox=_ids(outbox),
            snippets=_ids(snippets),
            accounts=_ids(accounts),
            saved_views=saved_views,
            brand_profile=brand_profile,
            settings=settings,
            description=description,
        )

    def __or__(self, other: Changes) -> Changes:
        merged: dict[str, object] = {}
        for spec in fields(self):
            mine, theirs = getattr(self, spec.name), getattr(other, spec.name)
            if spec.name == "description":
                merged[spec.name] = theirs or mine
            elif isinstance(mine, bool):
                merged[spec.name] = mine or theirs
            else:
                merged[spec.name] = mine | theirs
        return Changes(**merged)  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        return any(getattr(self, spec.name) for spec in fields(self) if spec.name != "description")

    @property
    def list_rows(self) -> bool:
        """Whether the inbox list (rows, order, counts) may look different now."""
        return bool(self.mentions or self.outbox or self.accounts or self.saved_views)

    @property
    def rows_may_move(self) -> bool:
        """Whether mentions may have entered or left a view (and so the counts changed), as
        opposed to a row only looking different (a draft typed: its badge)."""
        return bool(
            self.triage
            or self.outbox
            or self.added
            or self.accounts
            or self.saved_views
            or self.mentions - self.drafts
        )


NOTHING = Changes()
