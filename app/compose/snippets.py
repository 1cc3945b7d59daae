"""The snippet library: packs in and out, the variant for a mention, finding and suggesting.

Pack format (JSON, UTF-8), version 1:

    {"format": "heedful-snippets", "version": 1, "name": "Fjellform voice",
     "snippets": [{"title": "Order delayed", "shortcut": "late",
                   "body": "Hi {author.first_name|there} …",
                   "folder": "Orders", "tags": ["delivery"],
                   "variants": [{"language": "nb", "network": "", "body": "Hei …"}]}]}

`title` and `body` are required; everything else is optional. Importing a pack never
overwrites: a snippet whose shortcut is taken is renamed ("late-2") and reported.
CSV import takes a header row with `title, body` and optional `shortcut, folder, tags`
(tags separated by `;`), `language`, `network`: rows with the same shortcut (or title) and a
language or network become variants of the first row.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage.records import Mention, Network, utc_now
from storage.snippets import NewSnippet, Snippet, SnippetRepository, SnippetVariant

from app.changes import Changes
from app.resources import resource_path
from app.text.language import normalise

if TYPE_CHECKING:
    from app.team.library import TeamLibrary

PACK_FORMAT = "heedful-snippets"
PACK_VERSION = 1
DEFAULT_PACK = "fjellform.json"
RECENT_USES = 3000  # suggestions learn from this many of the latest uses


class PackError(ValueError):
    """The file is not a snippet pack Heedful can read; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: list[Snippet]
    renamed: list[str]  # "/late → /late-2"
    skipped: list[str]  # what could not be imported, and why

    def summary(self) -> str:
        parts = [f"{len(self.added)} snippets imported"]
        if self.renamed:
            parts.append(f"shortcuts already taken, renamed: {', '.join(self.renamed)}")
        if self.skipped:
            parts.append(f"skipped: {'; '.join(self.skipped)}")
        return ". ".join(parts) + "."

    @property
    def changes(self) -> Changes:
        return Changes.of(snippets=[s.id for s in self.added], description=self.summary())


@dataclass(frozen=True, slots=True)
class SnippetEdit:
    """What one edit in the library did: the snippet as it is now, and the change set."""

    snippet: Snippet
    changes: Changes


# --- variants ---------------------------------------------------------------------------------


def pick_variant(
    snippet: Snippet, language: str | None, network: Network | str | None
) -> SnippetVariant:
    """The body for this mention: same language and network > same language > same network >
    the snippet's own body."""
    lang = normalise(language) or ""
    net = str(network) if network else ""
    ranked = {
        (lang, net): 0,
        (lang, ""): 1,
        ("", net): 2,
    }
    best: tuple[int, SnippetVariant] | None = None
    for variant in snippet.variants:
        rank = ranked.get((normalise(variant.language) or "", variant.network))
        if rank is None or (variant.language == "" and variant.network == ""):
            continue
        if not lang and variant.language:
            continue
        if best is None or rank < best[0]:
            best = (rank, variant)
    return best[1] if best else SnippetVariant(snippet.body)


def variants_of(snippet: Snippet) -> list[SnippetVariant]:
    """Every body a person can choose between: the base first."""
    return [SnippetVariant(snippet.body), *snippet.variants]


# --- packs ----------------------------------------------------------------------------------


def snippet_json(snippet: Snippet | NewSnippet) -> dict[str, Any]:
    data: dict[str, Any] = {"title": snippet.title, "body": snippet.body}
    if snippet.shortcut:
        data["shortcut"] = snippet.shortcut
    if snippet.folder:
        data["folder"] = snippet.folder
    if snippet.tags:
        data["tags"] = list(snippet.tags)
    if snippet.variants:
        data["variants"] = [
            {"language": v.language, "network": v.network, "body": v.body} for v in snippet.variants
        ]
    return data


def pack_json(snippets: Sequence[Snippet], name: str = "") -> dict[str, Any]:
    return {
        "format": PACK_FORMAT,
        "version": PACK_VERSION,
        "name": name,
        "snippets": [snippet_json(snippet) for snippet in snippets],
    }


def parse_pack(text: str) -> list[NewSnippet]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise PackError(f"not JSON (line {error.lineno}: {error.msg})") from error
    if not isinstance(data, dict) or data.get("format") != PACK_FORMAT:
        raise PackError(f'not a snippet pack (expected "format": "{PACK_FORMAT}")')
    if not isinstance(data.get("version"), int) or data["version"] > PACK_VERSION:
        raise PackError(
            f"pack version {data.get('version')!r} is newer than this Heedful reads "
            f"({PACK_VERSION}); update Heedful"
        )
    entries = data.get("snippets")
    if not isinstance(entries, list):
        raise PackError('"snippets" must be a list')
    return [_new_snippet(entry, number) for number, entry in enumerate(entries, 1)]


def _new_snippet(entry: Any, number: int) -> NewSnippet:
    where = f"snippet {number}"
    if not isinstance(entry, dict):
        raise PackError(f"{where} is not an object")
    title, body = entry.get("title"), entry.get("body")
    if not isinstance(title, str) or not title.strip():
        raise PackError(f"{where} has no title")
    if not isinstance(body, str) or not body.strip():
        raise PackError(f"{where} (“{title}”) has no body")
    tags = entry.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise PackError(f"{where} (“{title}”): tags must be a list of words")
    variants = []
    for variant in entry.get("variants", []):
        if not isinstance(variant, dict) or not isinstance(variant.get("body"), str):
            raise PackError(f"{where} (“{title}”): each variant needs a body")
        network = str(variant.get("network", "") or "")
        if network and network not in {n.value for n in Network}:
            raise PackError(f"{where} (“{title}”): unknown network {network!r}")
        language = normalise(str(variant.get("language", "") or "")) or ""
        variants.append(SnippetVariant(variant["body"], language, network))
    shortcut = entry.get("shortcut")
    return NewSnippet(
        title=title.strip(),
        body=body,
        shortcut=_clean_shortcut(shortcut) if isinstance(shortcut, str) else None,
        folder=str(entry.get("folder", "") or ""),
        tags=tuple(tag.strip() for tag in tags if tag.strip()),
        is_shared=True,  # it came from a pack: it is shared by definition
        variants=tuple(variants),
    )


def _clean_shortcut(text: str) -> str | None:
    cleaned = re.sub(r"[^\w-]+", "", text.strip().lstrip("/"))
    return cleaned or None


def parse_csv(text: str) -> list[NewSnippet]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = {name.strip().casefold() for name in reader.fieldnames or []}
    if not {"title", "body"} <= fields:
        raise PackError("the CSV needs a header row with at least the columns title and body")
    snippets: dict[str, dict[str, Any]] = {}
    for number, raw in enumerate(reader, 2):
        row = {(key or "").strip().casefold(): (value or "").strip() for key, value in raw.items()}
        if not row.get("title") or not row.get("body"):
            raise PackError(f"row {number} needs a title and a body")
        key = (row.get("shortcut") or row["title"]).casefold()
        language, network = row.get("language", ""), row.get("network", "")
        if key in snippets and (language or network):
            snippets[key]["variants"].append(
                {"language": language, "network": network, "body": row["body"]}
            )
            continue
        entry: dict[str, Any] = {
            "title": row["title"],
            "body": row["body"],
            "shortcut": row.get("shortcut") or None,
            "folder": row.get("folder", ""),
            "tags": [tag.strip() for tag in row.get("tags", "").split(";") if tag.strip()],
            "variants": [],
        }
        snippets[key] = entry
    return [_new_snippet(entry, number) for number, entry in enumerate(snippets.values(), 1)]


# --- finding --------------------------------------------------------------------------------


def fuzzy_score(query: str, snippet: Snippet) -> float:
    """How well `query` matches: 0 for no match. Every query word must appear, in order of
    characters, in the shortcut, title, tags, folder or body; whole-word and shortcut hits
    rank higher."""
    words = query.casefold().split()
    if not words:
        return 1.0 + min(snippet.usage_count, 100) / 1000
    fields = [
        ((snippet.shortcut or "").casefold(), 8.0),
        (snippet.title.casefold(), 5.0),
        (" ".join(snippet.tags).casefold(), 3.0),
        (snippet.folder.casefold(), 2.0),
        (" ".join([snippet.body, *(v.body for v in snippet.variants)]).casefold(), 1.0),
    ]
    total = 0.0
    for word in words:
        best = 0.0
        for text, weight in fields:
            if not text:
                continue
            if text.startswith(word):
                best = max(best, weight * 2)
            elif re.search(rf"\b{re.escape(word)}", text):
                best = max(best, weight * 1.5)
            elif word in text:
                best = max(best, weight)
            elif _subsequence(word, text) and weight >= 5:
                best = max(best, weight * 0.4)
        if best == 0:
            return 0.0
        total += best
    return total + min(snippet.usage_count, 100) / 1000


def _subsequence(needle: str, haystack: str) -> bool:
    letters = iter(haystack)
    return all(ch in letters for ch in needle)


def search(snippets: Iterable[Snippet], query: str) -> list[Snippet]:
    scored = [(fuzzy_score(query, snippet), snippet) for snippet in snippets]
    return [s for score, s in sorted(scored, key=lambda pair: (-pair[0], pair[1].title)) if score]


_WORD = re.compile(r"[^\W\d_]{3,}")
_PLACEHOLDERS = re.compile(r"\{[^{}]*\}")


def _terms(text: str) -> Counter[str]:
    text = re.sub(r"https?://\S+|[@#][\w.@-]+", " ", text)  # links, @handles, #tags
    return Counter(word.casefold() for word in _WORD.findall(text))


def suggest(
    snippets: Sequence[Snippet], uses: Sequence[tuple[int, str]], mention_text: str, limit: int = 5
) -> list[tuple[Snippet, float]]:
    """Snippets ranked by how similar this mention is to the mentions each was used on
    (TF-IDF cosine; a snippet's past mentions are pooled into one document). A snippet's own
    words (title, tags, every variant) are in its document too, so a new library already
    suggests something; what it was used on soon outweighs them."""
    pooled: dict[int, Counter[str]] = {}
    for snippet in snippets:
        own = " ".join(
            [snippet.title, *snippet.tags, snippet.body, *(v.body for v in snippet.variants)]
        )
        pooled[snippet.id] = Counter(set(_terms(_PLACEHOLDERS.sub(" ", own))))
    for snippet_id, text in uses:
        if snippet_id in pooled:
            pooled[snippet_id].update({term: 2 * n for term, n in _terms(text).items()})
    documents = len(pooled) + 1
    frequency: Counter[str] = Counter()
    for terms in pooled.values():
        frequency.update(set(terms))

    def weights(terms: Counter[str]) -> dict[str, float]:
        return {
            term: (1 + math.log(count)) * math.log((documents + 1) / (frequency[term] + 1) + 1)
            for term, count in terms.items()
        }

    query = weights(_terms(mention_text))
    query_norm = math.sqrt(sum(w * w for w in query.values())) or 1.0
    by_id = {snippet.id: snippet for snippet in snippets}
    ranked: list[tuple[Snippet, float]] = []
    for snippet_id, terms in pooled.items():
        if snippet_id not in by_id:
            continue
        document = weights(terms)
        norm = math.sqrt(sum(w * w for w in document.values())) or 1.0
        score = sum(w * document.get(term, 0.0) for term, w in query.items()) / (norm * query_norm)
        if score > 0.05:
            ranked.append((by_id[snippet_id], score))
    ranked.sort(key=lambda pair: -pair[1])
    return ranked[:limit]


# --- the service ------------------------------------------------------------------------------


class SnippetService:
    def __init__(self, repository: SnippetRepository) -> None:
        self.repository = repository
        # In a workspace joined to a team: its library (a save of ours a teammate's overtook
        # offers keep both or merge).
        self.team: TeamLibrary | None = None

    def all(self) -> list[Snippet]:
        return self.repository.all()

    def by_shortcut(self, shortcut: str) -> Snippet | None:
        return self.repository.by_shortcut(shortcut)

    def search(self, query: str) -> list[Snippet]:
        return search(self.repository.all(), query)

    def suggestions(self, mention: Mention, limit: int = 5) -> list[tuple[Snippet, float]]:
        return self.suggestion_job(mention, limit)()

    def suggestion_job(
        self, mention: Mention, limit: int = 5
    ) -> Callable[[], list[tuple[Snippet, float]]]:
        """Read what the ranking needs now; rank later, on any thread (a large library with
        years of history takes a noticeable moment)."""
        snippets, uses = self.repository.all(), self.repository.used_on(RECENT_USES)
        return lambda: suggest(snippets, uses, mention.text, limit)

    def record_use(
        self, snippet_id: int, mention_id: int | None, at: datetime | None = None
    ) -> None:
        self.repository.record_use(snippet_id, mention_id, at or utc_now())

    # --- edits (each returns what it changed) ---------------------------------------------

    def save(self, form: NewSnippet, snippet_id: int | None = None) -> SnippetEdit:
        """Add a snippet, or replace snippet `snippet_id` with `form`."""
        if snippet_id is None:
            saved = self.repository.add(form)
        else:
            saved = self.repository.update(snippet_id, form)
        return _edit(saved, f"Saved “{saved.title}”.")

    def duplicate(self, snippet: Snippet) -> SnippetEdit:
        """A copy, titled as one, with the next free shortcut ("late-2")."""
        taken = {(s.shortcut or "").casefold() for s in self.repository.all()}
        shortcut = snippet.shortcut
        if shortcut:
            number = 2
            while f"{shortcut}-{number}".casefold() in taken:
                number += 1
            shortcut = f"{shortcut}-{number}"
        copy = replace(snippet.as_new(), title=f"{snippet.title} (copy)", shortcut=shortcut)
        added = self.repository.add(copy)
        return _edit(added, f"Duplicated as “{added.title}”.")

    def delete(self, snippet_id: int) -> SnippetEdit:
        """Remove a snippet; the edit carries it, so it can be put back (`restore`)."""
        deleted = self.repository.delete(snippet_id)
        return _edit(deleted, f"Deleted “{deleted.title}”.")

    def restore(self, snippet: Snippet) -> SnippetEdit:
        restored = self.repository.restore(snippet)
        return _edit(restored, f"“{restored.title}” is back.")

    def import_snippets(self, snippets: Sequence[NewSnippet]) -> ImportReport:
        added: list[Snippet] = []
        renamed: list[str] = []
        skipped: list[str] = []
        taken = {(s.shortcut or "").casefold() for s in self.repository.all()}
        for snippet in snippets:
            shortcut = snippet.shortcut
            if shortcut and shortcut.casefold() in taken:
                number = 2
                while f"{shortcut}-{number}".casefold() in taken:
                    number += 1
                renamed.append(f"/{shortcut} → /{shortcut}-{number}")
                shortcut = f"{shortcut}-{number}"
            new = NewSnippet(
                title=snippet.title, body=snippet.body, shortcut=shortcut, folder=snippet.folder,
                tags=snippet.tags, is_shared=snippet.is_shared, variants=snippet.variants,
            )  # fmt: skip
            added.append(self.repository.add(new))
            taken.add((shortcut or "").casefold())
        return ImportReport(added, renamed, skipped)

    def import_file(self, path: Path) -> ImportReport:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise PackError(f"cannot read {path}: {error}") from error
        parsed = parse_csv(text) if path.suffix.casefold() == ".csv" else parse_pack(text)
        return self.import_snippets(parsed)

    def export_text(self, ids: Sequence[int] | None = None, name: str = "") -> str:
        snippets = self.repository.all()
        if ids is not None:
            wanted = set(ids)
            snippets = [snippet for snippet in snippets if snippet.id in wanted]
        return json.dumps(pack_json(snippets, name), ensure_ascii=False, indent=2) + "\n"

    def install_default_pack(self) -> ImportReport | None:
        """The brand-voice starter pack, once, into an empty library."""
        if self.repository.count():
            return None
        return self.import_file(resource_path("snippets", DEFAULT_PACK))


def _edit(snippet: Snippet, description: str) -> SnippetEdit:
    return SnippetEdit(snippet, Changes.of(snippets=[snippet.id], description=description))
