"""The team's shared library: snippets, saved views marked "team", the brand profile (and each
brand's service levels, through one hook), published and applied by version.

Each shared thing is filed under its UUID (a snippet's, a view's) or its name (`brand`,
`sla:<brand>`). A local change publishes an event in the change's own transaction
(`LibraryJournal`, which the repositories call), written against the version its author saw
(`base`). Every laptop applies the team's stream in the same order by the same rules
(`LibraryApplier`):

- a save or delete against the version the team has goes through;
- against a version someone had replaced first, theirs stands, and the author is offered
  keep both (theirs stays, theirs and mine side by side), merge (field by field: what only
  one of us changed is taken; what both changed keeps mine, and says so) or, for the brand
  profile and views, apply mine anyway;
- snippet shortcuts (and view names) stay unique across the team: of two saves asking for the
  same one, the later in the stream gets the next free one (`late-2`), the same on every
  laptop, and its author is told; a local snippet holding a shortcut the team gives to another
  gives it up on this laptop (and is told).

A laptop's own change shows at once and stays until the stream has said how it went; then the
laptop shows what the team has.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.records import from_timestamp, utc_now
from storage.reports.policies import SlaPolicyRepository, StoredPolicy
from storage.snippets import (
    BrandProfileRepository,
    NewSnippet,
    Snippet,
    SnippetRepository,
    SnippetVariant,
)
from storage.store import Store
from storage.team.library import LibraryConflict, LibraryRecord, TeamLibraryRepository
from storage.team.membership import MembershipRepository
from storage.team.outbox import TeamOutboxRepository
from storage.views import SavedView, SavedViewRepository

from app.changes import Changes
from app.compose.snippets import SnippetEdit
from app.team.wire import Event, MalformedEvent, decode, make_event

log = logging.getLogger(__name__)

SHORTCUT_LIMIT = 40
_IDS = {"snippet_id", "view_id", "base", "brand"}


# --- what travels --------------------------------------------------------------------------------


def snippet_document(snippet: Snippet | NewSnippet) -> dict[str, Any]:
    """A snippet as the team's events carry it (usage and the local id stay on the laptop)."""
    document: dict[str, Any] = {
        "title": snippet.title,
        "shortcut": snippet.shortcut or "",
        "body": snippet.body,
        "folder": snippet.folder,
        "tags": list(snippet.tags),
        "variants": [
            {"language": v.language, "network": v.network, "body": v.body}
            for v in sorted(snippet.variants, key=lambda v: (v.language, v.network))
        ],
    }
    # What a snippet is for, and its keywords, where this Heedful's snippets have them.
    kind = getattr(snippet, "kind", None)
    if kind is not None:
        document["kind"] = str(getattr(kind, "value", kind))
    keywords = getattr(snippet, "keywords", None)
    if keywords is not None:
        document["keywords"] = list(keywords)
    return document


def snippet_from(document: dict[str, Any], *, is_shared: bool = True) -> NewSnippet:
    """The snippet a team document describes (fields this Heedful's snippets lack are left)."""
    extra: dict[str, Any] = {}
    fields_here = {spec.name: spec for spec in dataclasses.fields(NewSnippet)}
    if "kind" in fields_here and document.get("kind"):
        default: Any = fields_here["kind"].default
        extra["kind"] = type(default)(document["kind"])
    if "keywords" in fields_here and "keywords" in document:
        extra["keywords"] = tuple(str(word) for word in document["keywords"])
    return NewSnippet(
        title=str(document.get("title", "")),
        body=str(document.get("body", "")),
        shortcut=str(document.get("shortcut") or "") or None,
        folder=str(document.get("folder", "")),
        tags=tuple(str(tag) for tag in document.get("tags", [])),
        is_shared=is_shared,
        variants=tuple(
            SnippetVariant(
                str(v.get("body", "")), str(v.get("language", "")), str(v.get("network", ""))
            )
            for v in document.get("variants", [])
        ),
        **extra,
    )


def view_document(view: SavedView) -> dict[str, Any]:
    return {"name": view.name, "query": view.query}  # notify stays each one's own


def next_free(name: str, taken: set[str], *, kind: str) -> str:
    """The first free variant of `name`: `late-2`, `late-3` for shortcuts, `Billing (2)` for
    views (compared without case)."""
    number = 2
    while True:
        if kind == "snippet":
            suffix = f"-{number}"
            candidate = name[: SHORTCUT_LIMIT - len(suffix)] + suffix
        else:
            candidate = f"{name} ({number})"
        if candidate.casefold() not in taken:
            return candidate
        number += 1


def _target_of(event: Event) -> tuple[str, str, str, dict[str, Any]]:
    """(target, kind, operation, document) of a library event."""
    body = dict(event.body)
    document = {key: value for key, value in body.items() if key not in _IDS}
    if event.type == "snippet.save":
        return f"snippet:{body['snippet_id']}", "snippet", "save", document
    if event.type == "snippet.delete":
        return f"snippet:{body['snippet_id']}", "snippet", "delete", {}
    if event.type == "view.save":
        return f"view:{body['view_id']}", "view", "save", document
    if event.type == "view.delete":
        return f"view:{body['view_id']}", "view", "delete", {}
    if event.type == "brand.save":
        return "brand", "brand", "save", dict(body["profile"])
    if event.type == "sla.save":
        policy = body.get("policy")
        operation = "delete" if policy is None else "save"
        return f"sla:{body['brand']}", "sla", operation, dict(policy or {})
    raise MalformedEvent(f"not a library event: {event.type}")


# --- the hook for shared documents (the brand profile; service levels) ----------------------------


@dataclass(frozen=True, slots=True)
class SharedDocument:
    """A document the whole team shares, one per key: how to read this laptop's and write the
    team's. The brand profile is one; a brand's service levels (app.reports, when its tables
    are in the store) are the other: register it in DOCUMENTS and call
    `LibraryJournal.document_saved("sla", brand, policy)` inside the transaction that saves
    them; everything else (versions, conflicts, apply mine anyway) is shared."""

    kind: str
    read: Callable[[Store, str], dict[str, Any] | None]
    write: Callable[[Store, str, dict[str, Any] | None], None]


def _read_brand(store: Store, _key: str) -> dict[str, Any] | None:
    return BrandProfileRepository(store).get()


def _write_brand(store: Store, _key: str, document: dict[str, Any] | None) -> None:
    if document is None:
        return  # the team never deletes the brand profile
    from app.compose.brand import BrandProfile

    # A teammate's profile is read as a file would be: unknown keys and bad values are dropped.
    BrandProfileRepository(store).put(BrandProfile.from_json(document).to_json())


def _read_sla(store: Store, brand: str) -> dict[str, Any] | None:
    from app.reports.sla import policy_from_stored, policy_json

    stored = SlaPolicyRepository(store).get(brand)
    return None if stored is None else policy_json(policy_from_stored(stored))


def _write_sla(store: Store, brand: str, document: dict[str, Any] | None) -> None:
    from app.reports.sla import SlaSettingsError, policy_from_json, policy_to_stored

    repository = SlaPolicyRepository(store)
    if document is None:
        repository.delete(brand)
        return
    try:  # a teammate's policy is read as a file would be: refused whole if it is not valid
        policy = policy_from_json(document, brand=brand)
    except SlaSettingsError as problem:
        log.warning("team: service levels for %r not applied: %s", brand, problem)
        return
    repository.put(policy_to_stored(policy))


DOCUMENTS: dict[str, SharedDocument] = {
    "brand": SharedDocument("brand", _read_brand, _write_brand),
    "sla": SharedDocument("sla", _read_sla, _write_sla),  # each brand's service levels
}


def document_target(kind: str, key: str) -> str:
    return kind if kind == "brand" else f"{kind}:{key}"


# --- local changes become events ------------------------------------------------------------------


class LibraryJournal:
    """What the snippet, view and brand repositories call inside each change's transaction: in
    a workspace joined to a team, the change is filed in the team outbox with it."""

    def __init__(self, store: Store, actor: Callable[[], str]) -> None:
        self._store = store
        self._actor = actor
        self._membership = MembershipRepository(store)
        self._outbox = TeamOutboxRepository(store)
        self._library = TeamLibraryRepository(store)

    def snippet_saved(self, snippet: Snippet) -> None:
        self._publish(
            "snippet.save", f"snippet:{snippet.uuid}", snippet_id=snippet.uuid,
            **snippet_document(snippet),
        )  # fmt: skip

    def snippet_deleted(self, snippet: Snippet) -> None:
        self._publish("snippet.delete", f"snippet:{snippet.uuid}", snippet_id=snippet.uuid)

    def view_saved(self, view: SavedView, was_team: bool) -> None:
        if view.team:
            self._publish(
                "view.save", f"view:{view.uuid}", view_id=view.uuid, **view_document(view)
            )
        elif was_team:  # no longer shared: it leaves teammates' laptops (it stays on this one)
            self._publish("view.delete", f"view:{view.uuid}", view_id=view.uuid)

    def view_removed(self, view: SavedView) -> None:
        if view.team:
            self._publish("view.delete", f"view:{view.uuid}", view_id=view.uuid)

    def brand_saved(self, body: dict[str, Any]) -> None:
        self.document_saved("brand", "", body)

    def sla_saved(self, brand: str, policy: StoredPolicy | None) -> None:
        from app.reports.sla import policy_from_stored, policy_json

        document = None if policy is None else policy_json(policy_from_stored(policy))
        self.document_saved("sla", brand, document)

    def document_saved(self, kind: str, key: str, document: dict[str, Any] | None) -> None:
        """A shared document saved here (`None`: removed; the brand profile never is)."""
        if kind == "brand":
            self._publish("brand.save", "brand", profile=document or {})
        elif kind == "sla":
            self._publish("sla.save", document_target(kind, key), brand=key, policy=document)
        else:
            raise ValueError(f"not a shared document: {kind!r}")

    def _publish(self, event_type: str, target: str, **body: Any) -> None:
        membership = self._membership.get()
        if membership is None:
            return
        base = self._outbox.latest_for(target)
        if base is None:
            current = self._library.get(target)
            base = None if current is None else current.version
        at = utc_now()
        try:
            event = make_event(
                event_type, actor=self._actor(), user=membership.user, at=at, base=base, **body
            )
        except MalformedEvent as problem:
            # Too big or not shareable (a title over 200 characters): the change stands here.
            log.warning("team: a %s is not shared with the team: %s", event_type, problem)
            return
        self._outbox.add(event.id, event.type, event.encode(), target, at)


# --- the team's events applied here --------------------------------------------------------------


@dataclass
class LibraryOutcome:
    changes: Changes = field(default_factory=Changes)
    notices: list[str] = field(default_factory=list)


class LibraryApplier:
    """Applies library events, inside the transaction of the batch (app.team.apply)."""

    def __init__(self, store: Store, me: Callable[[], tuple[str, str]]) -> None:
        self._store = store
        self._me = me  # (agent name, team user)
        self.library = TeamLibraryRepository(store)
        self._outbox = TeamOutboxRepository(store)
        # Journal-less repositories: what the team wrote is not published again.
        self._snippets = SnippetRepository(store)
        self._views = SavedViewRepository(store)
        self._changed_snippets: set[int] = set()
        self._brand = False
        self._views_changed = False
        self._settings = False
        self._notices: list[str] = []

    def take(self) -> LibraryOutcome:
        outcome = LibraryOutcome(
            Changes.of(
                snippets=self._changed_snippets,
                brand_profile=self._brand,
                saved_views=self._views_changed,
                settings=self._settings,
            ),
            self._notices,
        )
        self._changed_snippets, self._notices = set(), []
        self._brand = self._views_changed = self._settings = False
        return outcome

    def apply(self, event: Event, seq: int, own: bool) -> str:
        target, kind, operation, document = _target_of(event)
        base = event.body.get("base") or None
        current = self.library.get(target)
        at = from_timestamp(event.at)
        same = current is not None and (
            (operation == "delete" and current.deleted)
            or (operation == "save" and not current.deleted and document == _unnamed(current))
        )  # both made the same change: nothing to choose between
        if current is not None and base != current.version and not same:
            self._not_applied(event, seq, own, target, kind, operation, document, base, current)
            self.project(target)
            return "not_applied"
        name: str | None = None
        if operation == "save" and kind in ("snippet", "view"):
            name = self._unique_name(kind, target, document, event, own)
        if operation == "delete":
            document = {} if current is None else current.document
        self.library.put(
            LibraryRecord(
                target=target, kind=kind, version=event.id, deleted=operation == "delete",
                name=name, actor=event.actor, user=event.user, at=at, seq=seq, document=document,
            )
        )  # fmt: skip
        # A later change by the same person settles what was not applied of theirs before.
        for conflict in self.library.conflicts(user=event.user):
            if conflict.target == target:
                self.library.resolve(conflict.id, "superseded", at)
        self.project(target)
        return "applied"

    def _unique_name(
        self, kind: str, target: str, document: dict[str, Any], event: Event, own: bool
    ) -> str | None:
        key = "shortcut" if kind == "snippet" else "name"
        asked = str(document.get(key) or "") or None
        if asked is None:
            return None
        holder = self.library.holder_of(kind, asked, target)
        if holder is None:
            return asked
        given = next_free(asked, self.library.taken_names(kind, target), kind=kind)
        document[key] = given
        if own:
            what = f"/{asked} is /{given}" if kind == "snippet" else f"view “{asked}” is “{given}”"
            whose = "" if holder.user == event.user else f"{holder.actor}'s "
            self._notices.append(
                f"Your {'snippet ' if kind == 'snippet' else ''}{what} now: {whose}"
                f"{'/' + asked if kind == 'snippet' else '“' + asked + '”'} was there first."
            )
        log.info("team: %s %r was taken in the team; it is %r", kind, asked, given)
        return given

    def _not_applied(
        self,
        event: Event,
        seq: int,
        own: bool,
        target: str,
        kind: str,
        operation: str,
        document: dict[str, Any],
        base: str | None,
        current: LibraryRecord,
    ) -> None:
        self.library.add_conflict(
            LibraryConflict(
                id=0, uuid=event.id, target=target, kind=kind, operation=operation,
                mine_user=event.user, mine_actor=event.actor, mine_at=from_timestamp(event.at),
                mine_document=document, base_document=self._ancestor(base),
                theirs_version=current.version, theirs_actor=current.actor,
                theirs_at=current.at, theirs_deleted=current.deleted, seq=seq, resolved=False,
                resolution=None,
            )
        )  # fmt: skip
        log.info(
            "team: %s's %s of %s was not applied: %s had changed it at %s",
            event.actor, operation, target, current.actor, current.at,
        )  # fmt: skip
        if own:
            self._notices.append(
                f"Your change to {describe_target(kind, current.document or document)} was not"
                f" applied: {current.actor} {'deleted' if current.deleted else 'changed'} it at"
                f" {current.at.astimezone():%H:%M}."
            )

    def _ancestor(self, base: str | None) -> dict[str, Any] | None:
        """The document of the version an author started from (walking past saves of theirs
        that were not applied themselves), or None when it is not known here."""
        for _ in range(100):
            if base is None:
                return None
            found = self.library.event(base)
            if found is None:
                return None
            payload, outcome = found
            try:
                event = decode(payload)
            except MalformedEvent:
                return None
            if outcome == "applied":
                _target, _kind, operation, document = _target_of(event)
                return None if operation == "delete" else document
            base = event.body.get("base") or None
        return None

    # --- showing what the team has ----------------------------------------------------------

    def project(self, target: str) -> None:
        """This laptop shows the team's version, unless a change of ours to it is still on its
        way (it shows ours until the stream says how that went)."""
        if self._outbox.has_pending(target):
            return
        record = self.library.get(target)
        if record is None:
            return
        if record.kind == "snippet":
            self._project_snippet(target.removeprefix("snippet:"), record)
        elif record.kind == "view":
            self._project_view(target.removeprefix("view:"), record)
        else:
            shared = DOCUMENTS.get(record.kind)
            key = target.partition(":")[2]
            if shared is None:
                log.info("team: %s is shared by the team; this Heedful keeps none", target)
                return
            wanted = None if record.deleted else record.document
            if shared.read(self._store, key) != wanted:
                shared.write(self._store, key, wanted)
                self._brand = self._brand or record.kind == "brand"
                self._settings = self._settings or record.kind == "sla"

    def _project_snippet(self, uuid: str, record: LibraryRecord) -> None:
        local = self._snippets.by_uuid(uuid)
        if record.deleted:
            if local is not None:
                self._snippets.delete(local.id)
                self._changed_snippets.add(local.id)
            return
        wanted = snippet_from(record.document, is_shared=True if local is None else local.is_shared)
        if local is not None and snippet_document(local) == snippet_document(wanted):
            return
        if wanted.shortcut:
            self._free_shortcut(wanted.shortcut, uuid, wanted.title)
        if local is None:
            added = self._snippets.add(wanted, uuid=uuid)
            self._changed_snippets.add(added.id)
        else:
            self._snippets.update(local.id, wanted)
            self._changed_snippets.add(local.id)

    def _free_shortcut(self, shortcut: str, uuid: str, title: str) -> None:
        holder = self._snippets.by_shortcut(shortcut)
        if holder is None or holder.uuid == uuid:
            return
        taken = {(s.shortcut or "").casefold() for s in self._snippets.all()}
        taken |= self.library.taken_names("snippet")
        given = next_free(shortcut, taken, kind="snippet")
        self._snippets.update(holder.id, dataclasses.replace(holder.as_new(), shortcut=given))
        self._changed_snippets.add(holder.id)
        self._notices.append(
            f"Your snippet /{shortcut} is /{given} here: the team's “{title}” has /{shortcut}."
        )

    def _project_view(self, uuid: str, record: LibraryRecord) -> None:
        local = self._views.by_uuid(uuid)
        if record.deleted:
            if local is not None and local.team:
                self._views.remove(local.id)
                self._views_changed = True
            return
        name, query = str(record.document.get("name", "")), str(record.document.get("query", ""))
        if local is not None and (local.name, local.query, local.team) == (name, query, True):
            return
        self._free_view_name(name, uuid)
        if local is None:
            self._views.add(name, query, team=True, uuid=uuid)
        else:
            self._views.update(dataclasses.replace(local, name=name, query=query, team=True))
        self._views_changed = True

    def _free_view_name(self, name: str, uuid: str) -> None:
        holder = next((v for v in self._views.all() if v.name.casefold() == name.casefold()), None)
        if holder is None or holder.uuid == uuid:
            return
        taken = {v.name.casefold() for v in self._views.all()} | self.library.taken_names("view")
        given = next_free(name, taken, kind="view")
        self._views.update(dataclasses.replace(holder, name=given))
        self._notices.append(f"Your view “{name}” is “{given}” here: the team has a “{name}”.")


def _unnamed(record: LibraryRecord) -> dict[str, Any]:
    """The team's document as its author asked for it (a renamed shortcut compares as asked)."""
    return record.document


def describe_target(kind: str, document: dict[str, Any]) -> str:
    if kind == "snippet":
        shortcut = document.get("shortcut")
        title = document.get("title", "")
        return f"the snippet “{title}”" + (f" (/{shortcut})" if shortcut else "")
    if kind == "view":
        return f"the team view “{document.get('name', '')}”"
    if kind == "brand":
        return "the brand voice"
    return "the service levels"


# --- merging a snippet ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Clash:
    """A field both of us changed: mine is kept; theirs is what a teammate had written."""

    field: str
    theirs: str


@dataclass(frozen=True, slots=True)
class SnippetMerge:
    conflict_id: int
    snippet_id: int | None  # the snippet on this laptop (None: the team deleted it)
    form: NewSnippet
    clashes: tuple[Clash, ...]
    theirs_actor: str
    prefer_theirs: bool = False

    def summary(self) -> str:
        if not self.clashes:
            return f"Merged with {self.theirs_actor}'s version."
        fields = ", ".join(clash.field for clash in self.clashes)
        kept = f"{self.theirs_actor}'s" if self.prefer_theirs else "yours"
        return f"Merged with {self.theirs_actor}'s version; you both changed {fields}: {kept} kept."


def merge_documents(
    base: dict[str, Any] | None,
    theirs: dict[str, Any],
    mine: dict[str, Any],
    *,
    prefer_theirs: bool = False,
) -> tuple[dict[str, Any], list[Clash]]:
    """Three-way, field by field: what only one side changed is taken; what both changed
    differently keeps mine (a clash; theirs with `prefer_theirs`). Tags and variants merge
    item by item."""
    base = base or {}
    merged: dict[str, Any] = {}
    clashes: list[Clash] = []
    for name in sorted(set(theirs) | set(mine)):
        b, t, m = base.get(name), theirs.get(name), mine.get(name)
        if name in ("tags", "keywords"):
            merged[name] = _merge_words(b or [], t or [], m or [])
        elif name == "variants":
            value, clashed = _merge_variants(b or [], t or [], m or [], prefer_theirs)
            merged[name] = value
            clashes += clashed
        elif m == b or t == m:
            merged[name] = t
        elif t == b:
            merged[name] = m
        else:
            merged[name] = t if prefer_theirs else m
            clashes.append(Clash(_FIELD_NAMES.get(name, name), "" if t is None else str(t)))
    return merged, clashes


_FIELD_NAMES = {"body": "the text", "title": "the title", "shortcut": "the shortcut"}


def _merge_words(base: list[str], theirs: list[str], mine: list[str]) -> list[str]:
    removed = (set(base) - set(theirs)) | (set(base) - set(mine))
    kept = [word for word in [*theirs, *mine] if word not in removed or word not in base]
    return list(dict.fromkeys(kept))


def _merge_variants(
    base: list[dict[str, str]],
    theirs: list[dict[str, str]],
    mine: list[dict[str, str]],
    prefer_theirs: bool,
) -> tuple[list[dict[str, str]], list[Clash]]:
    def by_place(variants: list[dict[str, str]]) -> dict[tuple[str, str], str]:
        return {(v.get("language", ""), v.get("network", "")): v.get("body", "") for v in variants}

    b, t, m = by_place(base), by_place(theirs), by_place(mine)
    merged: list[dict[str, str]] = []
    clashes: list[Clash] = []
    for place in sorted(set(b) | set(t) | set(m)):
        old, their, my = b.get(place), t.get(place), m.get(place)
        if my == old or their == my:
            value = their
        elif their == old:
            value = my
        else:
            value = their if prefer_theirs else my
            where = " · ".join(part for part in place if part) or "any"
            clashes.append(Clash(f"the {where} version", their or "(removed)"))
        if value is not None:
            merged.append({"language": place[0], "network": place[1], "body": value})
    return merged, clashes


# --- what the person at this laptop does about it -----------------------------------------------


class TeamLibrary:
    """Open conflicts of this person's, and their choices: keep both, merge, apply mine anyway,
    keep theirs. Writes go through the journalled repositories: each choice is published."""

    def __init__(
        self,
        store: Store,
        snippets: SnippetRepository,
        views: SavedViewRepository,
        brand: BrandProfileRepository,
        sla: SlaPolicyRepository | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._snippets = snippets
        self._views = views
        self._brand = brand
        self._sla = sla
        self._clock = clock
        self.library = TeamLibraryRepository(store)
        self._membership = MembershipRepository(store)
        self._outbox = TeamOutboxRepository(store)

    def conflicts(self, kinds: Iterable[str] | None = None) -> list[LibraryConflict]:
        """This person's changes that were not applied and are still to be decided."""
        membership = self._membership.get()
        if membership is None:
            return []
        wanted = None if kinds is None else set(kinds)
        found = self.library.conflicts(user=membership.user)
        return [c for c in found if wanted is None or c.kind in wanted]

    def conflict(self, conflict_id: int) -> LibraryConflict:
        conflict = self.library.conflict(conflict_id)
        if conflict is None:
            raise KeyError(conflict_id)
        return conflict

    def describe(self, conflict: LibraryConflict) -> str:
        what = describe_target(conflict.kind, conflict.mine_document or self._theirs(conflict))
        verb = "deleted" if conflict.theirs_deleted else "changed"
        return (
            f"Your {'delete of' if conflict.operation == 'delete' else 'change to'} {what} was"
            f" not applied: {conflict.theirs_actor} {verb} it at"
            f" {conflict.theirs_at.astimezone():%H:%M}"
        )

    def _theirs(self, conflict: LibraryConflict) -> dict[str, Any]:
        record = self.library.get(conflict.target)
        return {} if record is None else record.document

    # --- choices ---------------------------------------------------------------------------

    def keep_theirs(self, conflict_id: int) -> Changes:
        with self._store.write():
            self.conflict(conflict_id)
            self.library.resolve(conflict_id, "kept theirs", self._clock())
        return Changes.of(description="Kept the team's version.")

    def keep_both(self, conflict_id: int) -> SnippetEdit:
        """Theirs stays; mine becomes a snippet of its own beside it (its shortcut the next
        free one)."""
        with self._store.write():
            conflict = self.conflict(conflict_id)
            if conflict.kind != "snippet" or conflict.operation != "save":
                raise ValueError("only a snippet's save can be kept beside theirs")
            mine = snippet_from(conflict.mine_document, is_shared=True)
            taken = {(s.shortcut or "").casefold() for s in self._snippets.all()}
            taken |= self.library.taken_names("snippet")
            shortcut = mine.shortcut
            if shortcut and shortcut.casefold() in taken:
                shortcut = next_free(shortcut, taken, kind="snippet")
            title = mine.title
            theirs = self._theirs(conflict)
            if not conflict.theirs_deleted and theirs.get("title") == title:
                title = f"{title} ({conflict.mine_actor})"
            added = self._snippets.add(dataclasses.replace(mine, title=title, shortcut=shortcut))
            self.library.resolve(conflict_id, "kept both", self._clock())
        description = f"Kept both: yours is “{added.title}”" + (
            f" (/{added.shortcut})." if added.shortcut else "."
        )
        return SnippetEdit(added, Changes.of(snippets=[added.id], description=description))

    def merge(self, conflict_id: int, *, prefer_theirs: bool = False) -> SnippetMerge:
        """The merged snippet, to check and save (nothing is written yet)."""
        conflict = self.conflict(conflict_id)
        if conflict.kind != "snippet":
            raise ValueError("only snippets merge field by field")
        local = self._snippets.by_uuid(conflict.target.removeprefix("snippet:"))
        if conflict.theirs_deleted or conflict.operation == "delete":
            document, clashes = dict(conflict.mine_document), list[Clash]()
            if conflict.operation == "delete":
                document = self._theirs(conflict)
        else:
            document, clashes = merge_documents(
                conflict.base_document,
                self._theirs(conflict),
                conflict.mine_document,
                prefer_theirs=prefer_theirs,
            )
        form = snippet_from(document, is_shared=True if local is None else local.is_shared)
        return SnippetMerge(
            conflict_id, None if local is None else local.id, form, tuple(clashes),
            conflict.theirs_actor, prefer_theirs,
        )  # fmt: skip

    def save_merge(self, merge: SnippetMerge, form: NewSnippet | None = None) -> SnippetEdit:
        """Save the merge (or what the person made of it), against the team's version."""
        form = form or merge.form
        with self._store.write():
            conflict = self.conflict(merge.conflict_id)
            uuid = conflict.target.removeprefix("snippet:")
            local = self._snippets.by_uuid(uuid)
            if local is None:
                saved = self._snippets.add(form, uuid=uuid)
            else:
                saved = self._snippets.update(local.id, form)
            self.library.resolve(merge.conflict_id, "merged", self._clock())
        changes = Changes.of(
            snippets=[saved.id], description=f"Saved the merge of “{saved.title}”."
        )
        return SnippetEdit(saved, changes)

    def resolve(self, conflict_id: int, how: str) -> None:
        with self._store.write():
            self.library.resolve(conflict_id, how, self._clock())

    def apply_mine_anyway(self, conflict_id: int) -> Changes:
        """Write mine again, against the team's version now: it goes through (unless someone
        changes it again first)."""
        with self._store.write():
            conflict = self.conflict(conflict_id)
            changes = self._write_mine(conflict)
            self.library.resolve(conflict_id, "applied mine", self._clock())
        return changes

    def _write_mine(self, conflict: LibraryConflict) -> Changes:
        uuid = conflict.target.partition(":")[2]
        if conflict.kind == "snippet":
            local = self._snippets.by_uuid(uuid)
            if conflict.operation == "delete":
                if local is not None:
                    self._snippets.delete(local.id)
                return Changes.of(snippets=[] if local is None else [local.id])
            mine = snippet_from(conflict.mine_document)
            holder = self._snippets.by_shortcut(mine.shortcut) if mine.shortcut else None
            if holder is not None and holder.uuid != uuid:
                mine = dataclasses.replace(mine, shortcut=None)  # taken meanwhile
            saved = (
                self._snippets.add(mine, uuid=uuid)
                if local is None
                else self._snippets.update(
                    local.id, dataclasses.replace(mine, is_shared=local.is_shared)
                )
            )
            return Changes.of(snippets=[saved.id], description=f"Applied your “{saved.title}”.")
        if conflict.kind == "view":
            local_view = self._views.by_uuid(uuid)
            if conflict.operation == "delete":
                if local_view is not None:
                    self._views.remove(local_view.id)
                return Changes.of(saved_views=True)
            name = str(conflict.mine_document.get("name", ""))
            query = str(conflict.mine_document.get("query", ""))
            if local_view is None:
                self._views.add(name, query, team=True, uuid=uuid)
            else:
                self._views.update(
                    dataclasses.replace(local_view, name=name, query=query, team=True)
                )
            return Changes.of(saved_views=True, description=f"Applied your view “{name}”.")
        if conflict.kind == "brand":
            self._brand.put(conflict.mine_document)
            return Changes.of(brand_profile=True, description="Applied your brand voice.")
        if conflict.kind == "sla" and self._sla is not None:
            from app.reports.sla import policy_from_json, policy_to_stored

            if conflict.operation == "delete":
                self._sla.delete(uuid)
            else:
                self._sla.put(
                    policy_to_stored(policy_from_json(conflict.mine_document, brand=uuid))
                )
            return Changes.of(settings=True, description="Applied your service levels.")
        raise ValueError(f"nothing here keeps {conflict.kind}")

    # --- joining: what this laptop had goes to the team ---------------------------------------

    def share_existing(self) -> int:
        """Publish every snippet and team view of this laptop the team does not know yet, and
        the brand profile if the team has none (after the team's own were read). Returns how
        many things were filed for the team."""
        journal = self._snippets.journal
        if journal is None or self._membership.get() is None:
            return 0
        shared = 0
        with self._store.write():
            for snippet in self._snippets.all():
                target = f"snippet:{snippet.uuid}"
                if self._unknown(target):
                    journal.snippet_saved(snippet)
                    shared += 1
            view_journal = self._views.journal
            for view in self._views.all():
                target = f"view:{view.uuid}"
                if view.team and view_journal is not None and self._unknown(target):
                    view_journal.view_saved(view, was_team=False)
                    shared += 1
            brand = self._brand.get()
            brand_journal = self._brand.journal
            if brand is not None and brand_journal is not None and self._unknown("brand"):
                brand_journal.brand_saved(brand)
                shared += 1
        return shared

    def _unknown(self, target: str) -> bool:
        return self.library.get(target) is None and not self._outbox.has_pending(target)
