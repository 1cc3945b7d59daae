"""`heedful analyse FILE.jsonl`: the care analysis on posts from a file, storing nothing.

For trying a brand profile on exported posts, and for evaluation. Input: one JSON object a
line with `id`, `author`, `created_at` (ISO 8601) and `text`, optionally `brand`, `network`,
`kind` (mention/reply/dm), `followers` and `language`. Output (`--json`): one line per post, in
input order, `{"id", "language", "sentiment", "sarcasm", "pii": [{"type", "start", "end"}],
"repeat_of", "cluster"}`, and after the post that raised it one line per spike alert,
`{"alert": "spike", "brand", "cluster", "at", "posts"}`.

The analysis streams in time order. A post's line is written once nothing later can change
it (a post can join a cluster up to an hour after it arrived; the last lines come at the end
of the input). A line that is not a post is named on standard error and skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TextIO

from app.analysis import pii
from app.analysis.clusters import PENDING_WINDOW, SpikeAlert
from app.analysis.pipeline import KINDS, Analyser, Analysis, Post, default_sentiment_reader
from app.compose.brand import BrandProfile

EXIT_OK = 0
EXIT_FAILED = 1
MAX_LINE = 1_000_000  # characters: a longer line is not a post


def add_analyse_parser(commands: Any) -> None:
    analyse = commands.add_parser(
        "analyse",
        aliases=["analyze"],
        help="analyse posts from a JSON Lines file (nothing is stored)",
        description="Language, sentiment, personal data, repeat complaints, clusters and "
        "spike alerts for posts read from FILE (one JSON object a line; - reads standard "
        "input). Nothing is stored.",
    )
    analyse.add_argument("file", metavar="FILE.jsonl", help="the posts ('-' for standard input)")
    analyse.add_argument(
        "--brand-profile",
        type=Path,
        metavar="FILE",
        help="a brand profile (JSON, as for 'heedful brand load'): the brand's own contacts "
        "and order-number formats",
    )
    analyse.add_argument(
        "--json", action="store_true", help="one JSON object a line (otherwise a readable table)"
    )


@dataclass(slots=True)
class _Line:
    raw_id: Any
    raw_at: str
    analysis: Analysis
    alert: SpikeAlert | None = None


@dataclass(slots=True)
class _Output:
    """Holds each post's line until nothing can change it, then writes it in input order."""

    out: TextIO
    as_json: bool
    raw_ids: dict[str, Any] = field(default_factory=dict)
    raw_times: dict[str, str] = field(default_factory=dict)
    waiting: deque[_Line] = field(default_factory=deque)
    by_id: dict[str, _Line] = field(default_factory=dict)
    latest: dict[str | None, datetime] = field(default_factory=dict)
    written: int = 0

    def add(self, line: _Line, joined: tuple[str, ...]) -> None:
        analysis = line.analysis
        for post_id in joined:
            earlier = self.by_id.get(post_id)
            if earlier is not None and analysis.cluster is not None:
                earlier.analysis = earlier.analysis.with_cluster(analysis.cluster)
        self.waiting.append(line)
        self.by_id[analysis.post_id] = line
        brand = analysis.brand
        self.latest[brand] = max(analysis.created_at, self.latest.get(brand, analysis.created_at))
        self.flush()

    def flush(self, everything: bool = False) -> None:
        wrote = False
        while self.waiting:
            head = self.waiting[0]
            latest = self.latest.get(head.analysis.brand, head.analysis.created_at)
            if not everything and latest - head.analysis.created_at <= PENDING_WINDOW:
                break
            self.waiting.popleft()
            self.by_id.pop(head.analysis.post_id, None)
            self._write(head)
            wrote = True
        if wrote:
            self.out.flush()  # a reader of a live stream sees each line as it is final

    def _raw_id(self, post_id: str) -> Any:
        return self.raw_ids.get(post_id, post_id)

    def _write(self, line: _Line) -> None:
        analysis = line.analysis
        repeat_of = self.raw_ids.get(analysis.repeat_of) if analysis.repeat_of else None
        if self.as_json:
            record = analysis.as_json(self._raw_id)
            self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            kinds = ",".join(sorted({span.type.value for span in analysis.pii})) or "-"
            self.out.write(
                f"{line.raw_id!s:<14} {analysis.language or '?':<3} "
                f"{analysis.sentiment.label or '-':<8} pii:{kinds:<20} "
                f"repeat_of:{repeat_of if repeat_of is not None else '-'!s:<12} "
                f"cluster:{analysis.cluster or '-'}\n"
            )
        self.written += 1
        if line.alert is not None:
            self._write_alert(line.alert)

    def _write_alert(self, alert: SpikeAlert) -> None:
        posts = [self._raw_id(post_id) for post_id in alert.posts]
        at = self.raw_times.get(alert.raised_by, alert.at.isoformat())
        if self.as_json:
            record = alert.as_json(self._raw_id, at)
            self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            self.out.write(
                f"SPIKE {alert.cluster}: {alert.label}, {len(posts)} posts from "
                f"{alert.authors} customers, at {at}\n"
            )


class LineRefused(ValueError):
    """This input line is not a post; the message says why."""


def parse_post(text: str) -> tuple[Post, Any, str]:
    """A post from one input line, its id as written, and its created_at as written."""
    if len(text) > MAX_LINE:
        raise LineRefused(f"longer than {MAX_LINE:,} characters")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise LineRefused(f"not JSON ({error.msg} at column {error.colno})") from error
    except RecursionError as error:
        raise LineRefused("not JSON (nested too deeply)") from error
    if not isinstance(data, dict):
        raise LineRefused("not a JSON object")
    raw_id = data.get("id")
    if not isinstance(raw_id, str | int) or isinstance(raw_id, bool) or raw_id == "":
        raise LineRefused("no “id” (a string or a number)")
    for name in ("author", "text", "created_at"):
        if not isinstance(data.get(name), str):
            raise LineRefused(f"“{name}” is missing or not a string")
    raw_at = data["created_at"]
    try:
        created_at = datetime.fromisoformat(raw_at.strip())
    except ValueError as error:
        raise LineRefused(f"created_at “{raw_at[:40]}” is not an ISO 8601 time") from error
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    kind = data.get("kind") or "mention"
    if kind not in KINDS:
        raise LineRefused(f"kind “{str(kind)[:20]}” is not one of {', '.join(KINDS)}")
    brand = data.get("brand")
    followers = data.get("followers")
    language = data.get("language")
    post = Post(
        id=str(raw_id),
        author=data["author"],
        created_at=created_at,
        text=data["text"],
        kind=kind,
        network=str(data.get("network") or ""),
        brand=str(brand) if isinstance(brand, str | int) and brand != "" else None,
        followers=followers if isinstance(followers, int) and followers >= 0 else None,
        language=language if isinstance(language, str) else None,
    )
    return post, raw_id, raw_at


def _lines(source: IO[str]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(source, 1):
        if line.strip():
            yield number, line


def load_profile(path: Path, err: TextIO) -> BrandProfile | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        print(f"heedful: cannot read the brand profile {path}: {error}", file=err)
        return None
    except json.JSONDecodeError as error:
        print(f"heedful: the brand profile {path} is not JSON (line {error.lineno}: "
              f"{error.msg})", file=err)  # fmt: skip
        return None
    if not isinstance(data, dict):
        print(f"heedful: the brand profile {path} is not a JSON object", file=err)
        return None
    profile, problems = BrandProfile.from_json_reporting(data)
    for problem in problems:
        print(f"heedful: brand profile: {problem}", file=err)
    return profile


def run_analyse(args: argparse.Namespace, out: TextIO, err: TextIO | None = None) -> int:
    err = err or sys.stderr
    contacts = pii.DEFAULT_CONTACTS
    if args.brand_profile is not None:
        profile = load_profile(args.brand_profile, err)
        if profile is None:
            return EXIT_FAILED
        contacts = profile.contacts()
    try:
        source: IO[str] = (
            sys.stdin if args.file == "-" else open(args.file, encoding="utf-8", errors="replace")  # noqa: SIM115
        )
    except OSError as error:
        print(f"heedful: cannot read {args.file}: {error.strerror}", file=err)
        return EXIT_FAILED
    analyser = Analyser(contacts, read_sentiment=default_sentiment_reader())
    output = _Output(out, as_json=args.json)
    refused = 0
    seen: set[str] = set()
    with source:
        for number, text in _lines(source):
            try:
                post, raw_id, raw_at = parse_post(text)
                if post.id in seen:
                    raise LineRefused(f"the id {raw_id!r} was already used on an earlier line")
            except LineRefused as problem:
                refused += 1
                print(f"heedful: {args.file}, line {number}: {problem}; skipped", file=err)
                continue
            seen.add(post.id)
            output.raw_ids[post.id] = raw_id
            output.raw_times[post.id] = raw_at
            step = analyser.add(post)
            output.add(_Line(raw_id, raw_at, step.analysis, step.alert), step.joined)
    output.flush(everything=True)
    if refused:
        print(f"heedful: {refused} line(s) skipped, {output.written} analysed", file=err)
    return EXIT_OK
