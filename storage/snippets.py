"""Saved replies (snippets) with their variants, where they were used, the brand profile, and
what the brand has already sent today (for the repetition guardrail)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import uuid4

from storage.records import from_timestamp, to_timestamp, utc_now
from storage.store import Store


@dataclass(frozen=True, slots=True)
class SnippetVariant:
    """Replaces the snippet's body for one language, one network, or both ('' = any)."""

    body: str
    language: str = ""
    network: str = ""
    # Its global id (schema 10), kept across edits: what the team's library knows it by.
    uuid: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class NewSnippet:
    title: str
    body: str
    shortcut: str | None = None
    folder: str = ""
    tags: tuple[str, ...] = ()
    is_shared: bool = False
    variants: tuple[SnippetVariant, ...] = ()


@dataclass(frozen=True, slots=True)
class Snippet:
    id: int
    title: str
    body: str
    shortcut: str | None
    folder: str
    tags: tuple[str, ...]
    is_shared: bool
    usage_count: int
    last_used_at: datetime | None
    created_at: datetime
    updated_at: datetime
    variants: tuple[SnippetVariant, ...] = field(default=())
    uuid: str = field(default="", compare=False)  # the team's library knows it by this

    def as_new(self) -> NewSnippet:
        return NewSnippet(
            title=self.title,
            body=self.body,
            shortcut=self.shortcut,
            folder=self.folder,
            tags=self.tags,
            is_shared=self.is_shared,
            variants=self.variants,
        )


class DuplicateShortcut(ValueError):
    """Two snippets cannot share a shortcut (compared without case)."""


class SnippetJournal(Protocol):
    """Told of each change to the library inside its transaction (the team inbox shares it)."""

    def snippet_saved(self, snippet: Snippet) -> None: ...

    def snippet_deleted(self, snippet: Snippet) -> None: ...


_COLUMNS = (
    "id, title, shortcut, body, folder, tags, is_shared, usage_count, last_used_at,"
    " created_at, updated_at, uuid"
)


class SnippetRepository:
    def __init__(self, store: Store, journal: SnippetJournal | None = None) -> None:
        self._store = store
        self.journal = journal  # None for the team applying a teammate's change

    def all(self) -> list[Snippet]:
        rows = list(
            self._store.db.query(f"SELECT {_COLUMNS} FROM snippets ORDER BY folder, title, id")
        )
        variants = self._variants([int(row["id"]) for row in rows])
        return [_snippet(row, variants.get(int(row["id"]), ())) for row in rows]

    def get(self, snippet_id: int) -> Snippet:
        rows = list(
            self._store.db.query(f"SELECT {_COLUMNS} FROM snippets WHERE id = ?", [snippet_id])
        )
        if not rows:
            raise KeyError(snippet_id)
        return _snippet(rows[0], self._variants([snippet_id]).get(snippet_id, ()))

    def by_shortcut(self, shortcut: str) -> Snippet | None:
        row = self._store.conn.execute(
            "SELECT id FROM snippets WHERE shortcut = ? COLLATE NOCASE", [shortcut.lstrip("/")]
        ).fetchone()
        return None if row is None else self.get(int(row[0]))

    def count(self) -> int:
        return int(self._store.conn.execute("SELECT count(*) FROM snippets").fetchone()[0])

    def add(self, new: NewSnippet, *, snippet_id: int | None = None, uuid: str = "") -> Snippet:
        """Store a snippet; `snippet_id` and `uuid` put a deleted one back as it was (undo)."""
        now = to_timestamp(utc_now())
        self._check_shortcut(new.shortcut, None)
        with self._store.write() as db:
            cursor = db.execute(
                "INSERT INTO snippets (id, title, shortcut, body, folder, tags, is_shared,"
                " created_at, updated_at, uuid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [snippet_id, new.title, new.shortcut or None, new.body, new.folder,
                 json.dumps(list(new.tags), ensure_ascii=False), int(new.is_shared), now, now,
                 uuid or str(uuid4())],
            )  # fmt: skip
            assert cursor.lastrowid is not None
            # A snippet put back (undo, the team) gets its variants' own UUIDs back too.
            self._put_variants(cursor.lastrowid, new.variants, own_uuids=bool(uuid))
            self._tell_saved(cursor.lastrowid)
        return self.get(cursor.lastrowid)

    def restore(self, snippet: Snippet) -> Snippet:
        """Put back a deleted snippet exactly as it was (usage and UUIDs included), in one
        transaction (the team hears one save, against the version its delete made)."""
        with self._store.write() as db:
            journal, self.journal = self.journal, None
            try:
                restored = self.add(snippet.as_new(), snippet_id=snippet.id, uuid=snippet.uuid)
            finally:
                self.journal = journal
            db.execute(
                "UPDATE snippets SET usage_count = ?, last_used_at = ?, created_at = ?,"
                " updated_at = ? WHERE id = ?",
                [snippet.usage_count,
                 None if snippet.last_used_at is None else to_timestamp(snippet.last_used_at),
                 to_timestamp(snippet.created_at), to_timestamp(snippet.updated_at), snippet.id],
            )  # fmt: skip
            self._tell_saved(restored.id)
        return self.get(restored.id)

    def update(self, snippet_id: int, new: NewSnippet) -> Snippet:
        self._check_shortcut(new.shortcut, snippet_id)
        with self._store.write() as db:
            db.execute(
                "UPDATE snippets SET title = ?, shortcut = ?, body = ?, folder = ?, tags = ?,"
                " is_shared = ?, updated_at = ? WHERE id = ?",
                [new.title, new.shortcut or None, new.body, new.folder,
                 json.dumps(list(new.tags), ensure_ascii=False), int(new.is_shared),
                 to_timestamp(utc_now()), snippet_id],
            )  # fmt: skip
            self._put_variants(snippet_id, new.variants, replace=True)
            self._tell_saved(snippet_id)
        return self.get(snippet_id)

    def delete(self, snippet_id: int) -> Snippet:
        """Remove a snippet and hand it back, so the caller can offer undo."""
        snippet = self.get(snippet_id)
        with self._store.write() as db:
            db.execute("DELETE FROM snippets WHERE id = ?", [snippet_id])
            if self.journal is not None:
                self.journal.snippet_deleted(snippet)
        return snippet

    def by_uuid(self, uuid: str) -> Snippet | None:
        row = self._store.conn.execute("SELECT id FROM snippets WHERE uuid = ?", [uuid]).fetchone()
        return None if row is None else self.get(int(row[0]))

    def _tell_saved(self, snippet_id: int) -> None:
        if self.journal is not None:  # inside the change's own transaction
            self.journal.snippet_saved(self.get(snippet_id))

    def record_use(self, snippet_id: int, mention_id: int | None, at: datetime) -> None:
        with self._store.write() as db:
            db.execute(
                "UPDATE snippets SET usage_count = usage_count + 1, last_used_at = ? WHERE id = ?",
                [to_timestamp(at), snippet_id],
            )
            db.execute(
                "INSERT INTO snippet_uses (snippet_id, mention_id, used_at) VALUES (?, ?, ?)",
                [snippet_id, mention_id, to_timestamp(at)],
            )

    def used_on(self, limit: int = 3000) -> list[tuple[int, str]]:
        """(snippet id, text of the mention it answered) for the latest recorded uses."""
        return [
            (int(row[0]), str(row[1]))
            for row in self._store.conn.execute(
                "SELECT u.snippet_id, m.text FROM snippet_uses AS u"
                " JOIN mentions AS m ON m.id = u.mention_id ORDER BY u.id DESC LIMIT ?",
                [limit],
            )
        ]

    def _check_shortcut(self, shortcut: str | None, own_id: int | None) -> None:
        if not shortcut:
            return
        row = self._store.conn.execute(
            "SELECT id, title FROM snippets WHERE shortcut = ? COLLATE NOCASE", [shortcut]
        ).fetchone()
        if row is not None and int(row[0]) != own_id:
            raise DuplicateShortcut(
                f"The shortcut /{shortcut} is already used by “{row[1]}”: choose another."
            )

    def _put_variants(
        self,
        snippet_id: int,
        variants: Sequence[SnippetVariant],
        *,
        replace: bool = False,
        own_uuids: bool = False,
    ) -> None:
        """Each variant is edited in place where its language and network were there before
        (it keeps its UUID), or comes back with its own UUID (`own_uuids`: undo); `replace`
        drops the rest."""
        conn = self._store.conn
        wanted = {(v.language, v.network): v for v in variants}
        if replace:
            for language, network in conn.execute(
                "SELECT language, network FROM snippet_variants WHERE snippet_id = ?", [snippet_id]
            ).fetchall():
                if (language, network) not in wanted:
                    conn.execute(
                        "DELETE FROM snippet_variants WHERE snippet_id = ? AND language = ?"
                        " AND network = ?",
                        [snippet_id, language, network],
                    )
        for v in wanted.values():
            conn.execute(
                "INSERT INTO snippet_variants (snippet_id, language, network, body, uuid)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (snippet_id, language, network)"
                " DO UPDATE SET body = excluded.body",
                [snippet_id, v.language, v.network, v.body, (own_uuids and v.uuid) or str(uuid4())],
            )

    def _variants(self, ids: Sequence[int]) -> dict[int, tuple[SnippetVariant, ...]]:
        if not ids:
            return {}
        found: dict[int, list[SnippetVariant]] = {}
        marks = ", ".join("?" for _ in ids)
        for row in self._store.conn.execute(
            "SELECT snippet_id, language, network, body, uuid FROM snippet_variants"
            f" WHERE snippet_id IN ({marks}) ORDER BY language, network",
            list(ids),
        ):
            variant = SnippetVariant(row[3], row[1], row[2], uuid=row[4])
            found.setdefault(int(row[0]), []).append(variant)
        return {key: tuple(value) for key, value in found.items()}


def _snippet(row: dict[str, Any], variants: tuple[SnippetVariant, ...]) -> Snippet:
    return Snippet(
        id=int(row["id"]),
        title=row["title"],
        body=row["body"],
        shortcut=row["shortcut"],
        folder=row["folder"],
        tags=tuple(json.loads(row["tags"])),
        is_shared=bool(row["is_shared"]),
        usage_count=int(row["usage_count"]),
        last_used_at=None if row["last_used_at"] is None else from_timestamp(row["last_used_at"]),
        created_at=from_timestamp(row["created_at"]),
        updated_at=from_timestamp(row["updated_at"]),
        variants=variants,
        uuid=row["uuid"],
    )


class BrandJournal(Protocol):
    """Told of each save of the brand profile inside its transaction (the team shares it)."""

    def brand_saved(self, body: dict[str, Any]) -> None: ...


class BrandProfileRepository:
    """The brand profile as one JSON document; its meaning belongs to app.compose.brand."""

    def __init__(self, store: Store, journal: BrandJournal | None = None) -> None:
        self._store = store
        self.journal = journal  # None for the team applying a teammate's change

    def get(self) -> dict[str, Any] | None:
        row = self._store.conn.execute("SELECT body FROM brand_profile WHERE id = 1").fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put(self, body: dict[str, Any]) -> None:
        with self._store.write() as db:
            db.execute(
                "INSERT INTO brand_profile (id, body, updated_at) VALUES (1, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET body = excluded.body,"
                " updated_at = excluded.updated_at",
                [json.dumps(body, ensure_ascii=False), to_timestamp(utc_now())],
            )
            if self.journal is not None:
                self.journal.brand_saved(body)


class SentReplies:
    """What the brand has put in the outbox lately, to whom (for the repetition guardrail)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def since(self, moment: datetime) -> list[tuple[str, int | None]]:
        """(body, author id of the mention it answers) for every reply queued since then."""
        return [
            (str(row[0]), None if row[1] is None else int(row[1]))
            for row in self._store.conn.execute(
                "SELECT o.body, m.author_id FROM outbox AS o"
                " LEFT JOIN mentions AS m ON m.id = o.mention_id"
                " WHERE o.created_at >= ? AND o.state != 'failed'",
                [to_timestamp(moment)],
            )
        ]
