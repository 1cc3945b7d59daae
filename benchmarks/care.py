"""Care intelligence (issue 17): `heedful analyse` on the labelled evaluation set, scored beside
simple baselines measured in the same run.

    python -m benchmarks --only care

It runs the real command, as a user would, once per brand with that brand's profile
(`python -m app analyse FILE --brand-profile PROFILE --json`), once on all brands together
(posts of different brands must never share a repeat or a cluster) and once on a single post
(the start-up, taken off the time per post). The set and how it was made: benchmarks/care/.
When the command is missing or fails, the table says so and still shows the baselines.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "benchmarks" / "care" / "eval"
PII_TYPES = (
    "email",
    "phone",
    "order_number",
    "booking_ref",
    "iban",
    "card_number",
    "address",
    "national_id",
)
SENTIMENTS = ("positive", "negative", "neutral", "mixed")
NORDIC = ("nb", "nn", "da", "sv")
# An alert belongs to a burst when it comes between the burst's first post and an hour after
# its last one (and, when its cluster can be told, is about the burst's problem).
ALERT_GRACE = timedelta(hours=1)
# The count-per-hour baseline: an alert when a brand gets this many posts within an hour.
BASELINE_POSTS_PER_HOUR = 6


# --- the evaluation set --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Span:
    type: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Burst:
    brand: str
    cluster: str
    first_id: str
    first_at: datetime
    third_id: str
    third_at: datetime
    last_at: datetime


@dataclass
class EvalSet:
    posts: list[dict[str, Any]]
    labels: dict[str, dict[str, Any]]
    bursts: list[Burst]
    profiles: dict[str, Path]

    @property
    def ids(self) -> list[str]:
        return [post["id"] for post in self.posts]

    def brand_of(self) -> dict[str, str]:
        return {post["id"]: post.get("brand") or "" for post in self.posts}

    def times(self) -> dict[str, datetime]:
        return {post["id"]: parse_time(post["created_at"]) for post in self.posts}


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def load_set(folder: Path = EVAL) -> EvalSet:
    posts = _jsonl(folder / "posts.jsonl")
    labels = {label["id"]: label for label in _jsonl(folder / "labels.jsonl")}
    bursts = [
        Burst(
            b["brand"],
            b["cluster"],
            b["first_id"],
            parse_time(b["first_at"]),
            b["third_id"],
            parse_time(b["third_at"]),
            parse_time(b["last_at"]),
        )
        for b in json.loads((folder / "spikes.json").read_text(encoding="utf-8"))["bursts"]
    ]
    profiles = {path.stem: path for path in sorted((folder / "brands").glob("*.json"))}
    return EvalSet(posts, labels, bursts, profiles)


def gold_spans(label: Mapping[str, Any], key: str = "pii") -> list[Span]:
    kind = "type" if key == "pii" else "kind"
    return [Span(span[kind], span["start"], span["end"]) for span in label.get(key, [])]


# --- scoring (pure functions; tests/test_care_benchmark.py checks them on tiny cases) --------


@dataclass(frozen=True, slots=True)
class Ratio:
    hits: int
    total: int

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None

    def percent(self) -> str:
        if not self.total:
            return "—"
        return f"{100 * self.hits / self.total:.1f} % ({self.hits}/{self.total})"


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def language_accuracy(
    gold: Mapping[str, str | None], predicted: Mapping[str, str | None], only: str | None = None
) -> Ratio:
    """Share of posts with a decidable language (or only those in `only`) predicted exactly;
    a missing or null prediction is wrong."""
    ids = [i for i, lang in gold.items() if lang is not None and (only is None or lang == only)]
    return Ratio(sum(predicted.get(i) == gold[i] for i in ids), len(ids))


def undecidable_left_null(
    gold: Mapping[str, str | None], predicted: Mapping[str, str | None]
) -> Ratio:
    ids = [i for i, lang in gold.items() if lang is None]
    return Ratio(sum(i in predicted and predicted[i] is None for i in ids), len(ids))


def spans_match(gold: Span, predicted: Span) -> bool:
    """Same type, and the overlap covers at least half of each span: "+47 912 34 567" found as
    "912 34 567", or an order number found with its "#", still counts; a span that swallows the
    sentence around the value does not."""
    if gold.type != predicted.type:
        return False
    overlap = min(gold.end, predicted.end) - max(gold.start, predicted.start)
    return overlap * 2 >= gold.end - gold.start and overlap * 2 >= predicted.end - predicted.start


def _overlaps(first: Span, second: Span) -> bool:
    return min(first.end, second.end) > max(first.start, second.start)


def pii_recall(
    gold: Mapping[str, Sequence[Span]], predicted: Mapping[str, Sequence[Span]]
) -> dict[str, Ratio]:
    """Per PII type: gold spans found by a matching predicted span in the same post."""
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for post_id, spans in gold.items():
        for span in spans:
            total[span.type] += 1
            found[span.type] += any(spans_match(span, p) for p in predicted.get(post_id, ()))
    return {kind: Ratio(found[kind], total[kind]) for kind in total}


def pii_false_alarms(
    negatives: Mapping[str, Sequence[Span]],
    gold: Mapping[str, Sequence[Span]],
    predicted: Mapping[str, Sequence[Span]],
) -> Ratio:
    """Hard-negative spans touched by a predicted span that matches no real PII span."""
    alarmed = 0
    total = 0
    for post_id, spans in negatives.items():
        wrong = [
            p
            for p in predicted.get(post_id, ())
            if not any(spans_match(g, p) for g in gold.get(post_id, ()))
        ]
        for span in spans:
            total += 1
            alarmed += any(_overlaps(span, p) for p in wrong)
    return Ratio(alarmed, total)


def pii_precision(
    gold: Mapping[str, Sequence[Span]], predicted: Mapping[str, Sequence[Span]]
) -> Ratio:
    spans = [(post_id, p) for post_id, found in predicted.items() for p in found]
    return Ratio(sum(any(spans_match(g, p) for g in gold.get(i, ())) for i, p in spans), len(spans))


def macro_f1(
    gold: Mapping[str, str],
    predicted: Mapping[str, str | None],
    classes: Sequence[str] = SENTIMENTS,
) -> float:
    """The mean over `classes` of each class's F1 (a class never predicted scores 0)."""
    scores = []
    for name in classes:
        true_positive = sum(gold[i] == name and predicted.get(i) == name for i in gold)
        predicted_count = sum(predicted.get(i) == name for i in gold)
        gold_count = sum(gold[i] == name for i in gold)
        precision = true_positive / predicted_count if predicted_count else 0.0
        recall = true_positive / gold_count if gold_count else 0.0
        scores.append(f1(precision, recall))
    return sum(scores) / len(scores) if scores else 0.0


def sarcasm_read_as_negative(
    sarcastic: Iterable[str], predicted: Mapping[str, str | None]
) -> Ratio:
    ids = list(sarcastic)
    return Ratio(sum(predicted.get(i) == "negative" for i in ids), len(ids))


@dataclass(frozen=True, slots=True)
class RepeatScore:
    recall: Ratio  # repeats linked to an earlier post of the same complaint
    strict: Ratio  # ... to the earliest one, exactly as labelled
    false_flags: Ratio  # posts that are no repeat, flagged as one


def repeat_scores(
    gold: Mapping[str, str | None], predicted: Mapping[str, str | None]
) -> RepeatScore:
    members: dict[str, set[str]] = defaultdict(set)
    for post_id, root in gold.items():
        if root is not None:
            members[root].update((root, post_id))
    repeats = [i for i, root in gold.items() if root is not None]
    others = [i for i, root in gold.items() if root is None]
    linked = sum(
        predicted.get(i) is not None
        and predicted.get(i) != i
        and predicted.get(i) in members[gold[i] or ""]
        for i in repeats
    )
    strict = sum(predicted.get(i) == gold[i] for i in repeats)
    flagged = sum(predicted.get(i) is not None for i in others)
    return RepeatScore(
        Ratio(linked, len(repeats)), Ratio(strict, len(repeats)), Ratio(flagged, len(others))
    )


def _groups(clusters: Mapping[str, str | None], brand_of: Mapping[str, str]) -> list[set[str]]:
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for post_id, name in clusters.items():
        if name is not None:
            groups[(brand_of.get(post_id, ""), name)].add(post_id)
    return list(groups.values())


def _pairs(groups: Iterable[set[str]]) -> set[tuple[str, str]]:
    return {(a, b) for group in groups for a in group for b in group if a < b}


@dataclass(frozen=True, slots=True)
class ClusterScore:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        return f1(self.precision, self.recall)


def pairwise_clusters(
    gold: Mapping[str, str | None],
    predicted: Mapping[str, str | None],
    brand_of: Mapping[str, str],
) -> ClusterScore:
    """Pairs of posts put together (within a brand): precision over predicted pairs, recall over
    labelled pairs. No predicted pair: precision 0."""
    gold_pairs = _pairs(_groups(gold, brand_of))
    predicted_pairs = _pairs(_groups(predicted, brand_of))
    both = len(gold_pairs & predicted_pairs)
    return ClusterScore(
        both / len(predicted_pairs) if predicted_pairs else 0.0,
        both / len(gold_pairs) if gold_pairs else 0.0,
    )


def bcubed_clusters(
    gold: Mapping[str, str | None],
    predicted: Mapping[str, str | None],
    brand_of: Mapping[str, str],
) -> ClusterScore:
    """B-cubed, each post against its own cluster: precision averaged over posts given a
    cluster, recall over posts labelled with one (an unclustered post is its own singleton)."""
    gold_of = {i: group for group in _groups(gold, brand_of) for i in group}
    predicted_of = {i: group for group in _groups(predicted, brand_of) for i in group}
    precisions = [
        len(group & gold_of.get(i, {i})) / len(group) for i, group in predicted_of.items()
    ]
    recalls = [len(group & predicted_of.get(i, {i})) / len(group) for i, group in gold_of.items()]
    return ClusterScore(
        statistics.fmean(precisions) if precisions else 0.0,
        statistics.fmean(recalls) if recalls else 0.0,
    )


@dataclass(frozen=True, slots=True)
class Alert:
    brand: str
    cluster: str | None
    at: datetime
    posts: tuple[str, ...] = ()  # the ids the alert names, when it names them


@dataclass
class AlertScore:
    latency: dict[str, timedelta | None]  # burst (cluster label) -> first alert after its start
    by_third_post: dict[str, bool]
    false_alerts: list[Alert] = field(default_factory=list)
    repeated: int = 0  # further alerts on a burst already alerted

    @property
    def alerted_by_third(self) -> Ratio:
        return Ratio(sum(self.by_third_post.values()), len(self.by_third_post))

    @property
    def within_ten_minutes(self) -> Ratio:
        return Ratio(
            sum(d is not None and d <= timedelta(minutes=10) for d in self.latency.values()),
            len(self.latency),
        )


def _alert_topic(
    alert: Alert,
    gold: Mapping[str, str | None],
    predicted: Mapping[str, str | None],
    brand_of: Mapping[str, str],
) -> str | None:
    """The labelled cluster an alert is about: the most common label among the posts it names,
    or else among the posts the analysis put in the alert's cluster. None when it cannot be told."""
    ids = list(alert.posts) or [
        i
        for i, name in predicted.items()
        if alert.cluster is not None and name == alert.cluster and brand_of.get(i) == alert.brand
    ]
    labels = Counter(gold.get(i) for i in ids if gold.get(i) is not None)
    if not ids:
        return None
    return labels.most_common(1)[0][0] if labels else ""


def alert_scores(
    bursts: Sequence[Burst],
    alerts: Sequence[Alert],
    gold: Mapping[str, str | None] | None = None,
    predicted: Mapping[str, str | None] | None = None,
    brand_of: Mapping[str, str] | None = None,
) -> AlertScore:
    """Each alert goes to the burst of its brand that it falls in (from the burst's first post
    to an hour after its last) and, when its topic can be told, whose problem it is about.
    Alerts that fit no burst are false alerts."""
    score = AlertScore({b.cluster: None for b in bursts}, {b.cluster: False for b in bursts})
    seen: set[str] = set()
    for alert in sorted(alerts, key=lambda a: a.at):
        topic = _alert_topic(alert, gold or {}, predicted or {}, brand_of or {})
        burst = next(
            (
                b
                for b in bursts
                if b.brand == alert.brand
                and b.first_at <= alert.at <= b.last_at + ALERT_GRACE
                and (topic is None or topic == b.cluster)
            ),
            None,
        )
        if burst is None:
            score.false_alerts.append(alert)
        elif burst.cluster in seen:
            score.repeated += 1
        else:
            seen.add(burst.cluster)
            score.latency[burst.cluster] = alert.at - burst.first_at
            score.by_third_post[burst.cluster] = alert.at <= burst.third_at
    return score


# --- running `heedful analyse` -----------------------------------------------------------------


@dataclass
class Analysis:
    """What `heedful analyse` said about the posts, or why it could not say anything."""

    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    alerts: list[Alert] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # malformed output, one line each
    failure: str | None = None  # the command is missing or failed: nothing to score
    seconds: float = 0.0
    runs: int = 0


def parse_output(text: str, posts: Sequence[Mapping[str, Any]]) -> Analysis:
    """The `--json` output: one line per post (in input order) and one per alert. Fields that do
    not follow the issue's format are dropped and reported, never guessed."""
    analysis = Analysis()
    by_id = {post["id"]: post for post in posts}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            analysis.problems.append(f"line {number}: not JSON")
            continue
        if not isinstance(row, dict):
            analysis.problems.append(f"line {number}: not an object")
            continue
        if "alert" in row:
            try:
                posts_named = row.get("posts")
                named = tuple(str(i) for i in posts_named) if isinstance(posts_named, list) else ()
                analysis.alerts.append(
                    Alert(
                        str(row["brand"]) if row.get("brand") is not None else "",
                        None if row.get("cluster") is None else str(row["cluster"]),
                        parse_time(str(row["at"])),
                        named,
                    )
                )
            except (KeyError, ValueError) as error:
                analysis.problems.append(f"line {number}: alert without brand/at ({error})")
            continue
        post = by_id.get(row.get("id"))  # type: ignore[arg-type]
        if post is None:
            analysis.problems.append(f"line {number}: unknown id {row.get('id')!r}")
            continue
        analysis.results[post["id"]] = _clean_result(row, post, analysis.problems, number)
    missing = [i for i in by_id if i not in analysis.results]
    if missing:
        analysis.problems.append(f"{len(missing)} posts without a result line")
    return analysis


def _clean_result(
    row: Mapping[str, Any], post: Mapping[str, Any], problems: list[str], number: int
) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    language = row.get("language")
    clean["language"] = language if isinstance(language, str) or language is None else None
    sentiment = row.get("sentiment")
    if sentiment not in SENTIMENTS:
        problems.append(f"line {number}: sentiment {sentiment!r}")
        sentiment = None
    clean["sentiment"] = sentiment
    clean["sarcasm"] = row.get("sarcasm") is True
    spans: list[Span] = []
    for item in row.get("pii") or []:
        try:
            span = Span(str(item["type"]), int(item["start"]), int(item["end"]))
        except (KeyError, TypeError, ValueError):
            problems.append(f"line {number}: pii item {item!r}")
            continue
        if span.type not in PII_TYPES or not 0 <= span.start < span.end <= len(post["text"]):
            problems.append(f"line {number}: pii span {span}")
            continue
        spans.append(span)
    clean["pii"] = spans
    for key in ("repeat_of", "cluster"):
        value = row.get(key)
        clean[key] = str(value) if value is not None else None
    return clean


def _shown_path(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


# The command as a user runs it; tests put a stand-in here.
ANALYSE = (sys.executable, "-m", "app", "analyse")


def _run(
    posts: Sequence[Mapping[str, Any]],
    profile: Path | None,
    folder: Path,
    analyse: Sequence[str] = ANALYSE,
) -> tuple[Analysis, str]:
    source = folder / f"posts-{len(posts)}-{profile.stem if profile else 'all'}.jsonl"
    source.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in posts), "utf-8")
    command = [*analyse, str(source)]
    if profile is not None:
        command += ["--brand-profile", str(profile)]
    command.append("--json")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HEEDFUL_HOME": str(folder / "home")}
    began = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
        )
    except subprocess.TimeoutExpired:
        return Analysis(failure="`heedful analyse` ran for more than 10 minutes"), " ".join(command)
    except OSError as error:
        return Analysis(failure=f"`{' '.join(command)}` could not start: {error}"), " ".join(
            command
        )
    took = time.perf_counter() - began
    shown = " ".join(
        ["python -m app analyse", source.name]
        + (["--brand-profile", _shown_path(profile)] if profile else [])
        + ["--json"]
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return Analysis(
            failure=f"`{shown}` exited with {done.returncode}: " + " / ".join(tail)
        ), shown
    analysis = parse_output(done.stdout, posts)
    if not analysis.results:
        analysis.failure = f"`{shown}` printed no result lines"
    analysis.seconds, analysis.runs = took, 1
    return analysis, shown


def run_heedful(
    data: EvalSet, folder: Path, analyse: Sequence[str] = ANALYSE
) -> tuple[Analysis, Analysis | None, float | None]:
    """The per-brand runs merged, the all-brands run, and the start-up time (one post)."""
    merged = Analysis()
    by_brand: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for post in data.posts:
        by_brand[post.get("brand") or ""].append(post)
    startup: float | None = None
    warm, _ = _run(
        data.posts[:1], data.profiles.get(data.posts[0].get("brand") or ""), folder, analyse
    )
    if warm.failure:
        merged.failure = warm.failure
        return merged, None, None
    startup = warm.seconds
    for brand, posts in by_brand.items():
        analysis, _ = _run(posts, data.profiles.get(brand), folder, analyse)
        if analysis.failure:
            merged.failure = analysis.failure
            return merged, None, startup
        merged.results.update(analysis.results)
        merged.alerts += analysis.alerts
        merged.problems += [f"{brand}: {problem}" for problem in analysis.problems]
        merged.seconds += analysis.seconds
        merged.runs += 1
    together, _ = _run(data.posts, None, folder, analyse)
    return merged, (None if together.failure else together), startup


# --- baselines ---------------------------------------------------------------------------------


def baseline_language() -> Callable[[str], str | None]:
    """py3langid as it is (all its languages, no restriction); its "no" is read as bokmål."""
    import py3langid

    def detect(text: str) -> str | None:
        code = str(py3langid.classify(text)[0])
        return "nb" if code == "no" else code

    return detect


_NAIVE_PII: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("iban", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")),
    ("card_number", re.compile(r"\b(?:\d[ -]?){12,18}\d\b")),
    ("national_id", re.compile(r"\b\d{6}[-+ A]?\d{3}[\dA-Z]\b|\b\d{11}\b")),
    ("phone", re.compile(r"\+?\d[\d -]{6,14}\d")),
    ("order_number", re.compile(r"\b[A-Z]{2,4}-?\d{5,10}\b|#\d{5,}")),
    ("booking_ref", re.compile(r"\b(?=[A-Z0-9]*[A-Z])(?=[A-Z0-9]*\d)[A-Z0-9]{6}\b")),
    (
        "address",
        re.compile(
            r"\b[A-ZÆØÅÄÖÜ][\wæøåäöüéß.-]*(?:gata|gate|gaten|gatan|veien|vei|vej|gade|straße|strasse"
            r"|str\.|street|road|allé|weg|straat)\s\d+\w?\b"
            r"|\b\d+ (?:rue|avenue|boulevard) [\w' -]+"
            r"|\b(?:Calle|Via|Rua|Avenida|Corso|ul\.) [\w ]+ \d+"
        ),
    ),
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def baseline_pii(text: str) -> list[Span]:
    """Naive regular expressions, no checksums, no brand profile: first pattern wins a place."""
    spans: list[Span] = []
    for kind, pattern in _NAIVE_PII:
        for match in pattern.finditer(text):
            span = Span(kind, match.start(), match.end())
            if not any(_overlaps(span, other) for other in spans):
                spans.append(span)
    return spans


_LEXICON_POSITIVE = _words(
    "love great thank thanks brilliant amazing perfect best excellent super happy "
    "takk tusen fornøyd flott bra supert elsker beste nøgd "
    "tack toppen bästa fantastisk nöjd tak glad godt fedt "
    "danke toll super perfekt glückwunsch zufrieden "
    "merci génial bravo parfait top adorable "
    "gracias genial perfecto encanta enhorabuena "
    "grazie perfetto ottimo complimenti bello "
    "obrigado obrigada excelente parabéns ótimo "
    "bedankt dank geweldig prima fijn "
    "dziękuję świetny super gratulacje"
)
_LEXICON_NEGATIVE = _words(
    "not no never broken down worst bad still waiting refund cancelled charged problem error fails "
    "ikke ikkje aldri feil dårlig dårleg nede fortsatt framleis venter problem "
    "inte aldrig fel dålig fortfarande väntar ikke stadig "
    "nicht kein keine kaputt fehler immer schlecht warte "
    "pas jamais erreur impossible toujours annulé problème "
    "no nunca error sigo cancelado problema "
    "non mai errore ancora problema cancellato "
    "não nunca erro ainda problema "
    "niet geen nooit fout storing nog "
    "nie brak błąd nadal problem"
)


def baseline_sentiment(text: str) -> str:
    """A tiny multilingual lexicon: positive words against negative ones."""
    words = re.findall(r"\w+", text.lower())
    positive = sum(word in _LEXICON_POSITIVE for word in words)
    negative = sum(word in _LEXICON_NEGATIVE for word in words)
    if positive and negative:
        return "mixed"
    if positive:
        return "positive"
    if negative:
        return "negative"
    return "neutral"


def _content_words(text: str) -> set[str]:
    return {word for word in re.findall(r"\w+", text.lower()) if len(word) >= 4}


def baseline_repeats(posts: Sequence[Mapping[str, Any]]) -> dict[str, str | None]:
    """Same author, same brand, and at least a fifth of the words shared with an earlier post."""
    earlier: dict[tuple[str, str], list[tuple[str, set[str]]]] = defaultdict(list)
    result: dict[str, str | None] = {}
    for post in posts:
        key = (post.get("brand") or "", post["author"])
        words = _content_words(post["text"])
        found: str | None = None
        for other_id, other_words in earlier[key]:
            union = words | other_words
            if union and len(words & other_words) / len(union) >= 0.2:
                found = result.get(other_id) or other_id
                break
        result[post["id"]] = found
        earlier[key].append((post["id"], words))
    return result


_KEYWORDS = {
    "checkout": "checkout kassa kassan kassen kasse betaling betalingen betalning afrekenen "
    "bezahlung bezahlen payment pay",
    "internet": "internet internett nett nettet nätet bredband bredbandet fiber fiberen fibre wifi",
    "tv": "tv tv-appen tv-app",
    "check-in": "check-in checkin inchecken innsjekking odprawa enregistrer facturar",
    "card": "card kort kortet karte carte tarjeta carta cartão karta pas",
    "login": "login sms code kode code-sms código codice",
    "refund": "refund refusjon erstattung remboursement reembolso rimborso reembolso terugbetaling",
    "flight": "flight fly flyet flyg vol vuelo volo voo lot vlucht",
    "delivery": "parcel package pakke pakken paket paketet pakka bestilling order",
}
_KEYWORD_OF = {word: topic for topic, words in _KEYWORDS.items() for word in words.split()}


def baseline_clusters(posts: Sequence[Mapping[str, Any]]) -> dict[str, str | None]:
    """Posts of a brand that share a problem keyword (the first one found) are one cluster."""
    result: dict[str, str | None] = {}
    for post in posts:
        words = re.findall(r"[\w-]+", post["text"].lower())
        topic = next((_KEYWORD_OF[word] for word in words if word in _KEYWORD_OF), None)
        result[post["id"]] = topic
    return result


def baseline_alerts(posts: Sequence[Mapping[str, Any]]) -> list[Alert]:
    """A fixed threshold: BASELINE_POSTS_PER_HOUR posts of a brand within an hour raise an alert,
    then that brand stays quiet for an hour."""
    window: dict[str, list[datetime]] = defaultdict(list)
    quiet_until: dict[str, datetime] = {}
    alerts: list[Alert] = []
    for post in sorted(posts, key=lambda p: p["created_at"]):
        brand = post.get("brand") or ""
        moment = parse_time(post["created_at"])
        recent = [t for t in window[brand] if moment - t < timedelta(hours=1)] + [moment]
        window[brand] = recent
        if len(recent) >= BASELINE_POSTS_PER_HOUR and moment >= quiet_until.get(brand, moment):
            alerts.append(Alert(brand, None, moment))
            quiet_until[brand] = moment + timedelta(hours=1)
    return alerts


@dataclass
class Baseline:
    language: dict[str, str | None]
    pii: dict[str, list[Span]]
    sentiment: dict[str, str | None]
    repeats: dict[str, str | None]
    clusters: dict[str, str | None]
    alerts: list[Alert]
    seconds: float
    majority_sentiment: str


def run_baselines(data: EvalSet) -> Baseline:
    detect = baseline_language()
    detect("warm up: py3langid loads its model on first use")
    began = time.perf_counter()
    language = {post["id"]: detect(post["text"]) for post in data.posts}
    pii = {post["id"]: baseline_pii(post["text"]) for post in data.posts}
    sentiment: dict[str, str | None] = {p["id"]: baseline_sentiment(p["text"]) for p in data.posts}
    repeats = baseline_repeats(data.posts)
    clusters = baseline_clusters(data.posts)
    alerts = baseline_alerts(data.posts)
    seconds = time.perf_counter() - began
    majority = Counter(label["sentiment"] for label in data.labels.values()).most_common(1)[0][0]
    return Baseline(language, pii, sentiment, repeats, clusters, alerts, seconds, majority)


# --- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    heedful: str
    baseline: str
    goal: str = ""
    met: bool | None = None


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| Measure | Heedful | Baseline (same run) | Goal | Met |",
        "| --- | ---: | --- | --- | :---: |",
    ]
    for row in rows:
        met = {True: "yes", False: "**no**", None: ""}[row.met]
        lines.append(f"| {row.name} | {row.heedful} | {row.baseline} | {row.goal} | {met} |")
    return "\n".join(lines)


def _at_least(ratio: Ratio | None, goal: float) -> bool | None:
    if ratio is None or ratio.value is None:
        return None
    return ratio.value >= goal


def _minutes(delta: timedelta | None) -> str:
    return "never" if delta is None else f"{delta.total_seconds() / 60:.1f} min"


@dataclass
class Scored:
    """Every measure for one predictor (Heedful or the baseline)."""

    language: Ratio
    nordic: dict[str, Ratio]
    undecidable: Ratio
    recall: dict[str, Ratio]
    recall_all: Ratio
    false_alarms: Ratio
    precision: Ratio
    macro_f1: float
    sarcasm: Ratio
    repeats: RepeatScore
    lookalike_flags: Ratio
    alerts: AlertScore
    pairwise: ClusterScore
    bcubed: ClusterScore


def score(
    data: EvalSet,
    language: Mapping[str, str | None],
    pii: Mapping[str, Sequence[Span]],
    sentiment: Mapping[str, str | None],
    repeats: Mapping[str, str | None],
    clusters: Mapping[str, str | None],
    alerts: Sequence[Alert],
) -> Scored:
    labels = data.labels
    brand_of = data.brand_of()
    gold_language = {i: label["language"] for i, label in labels.items()}
    gold_pii = {i: gold_spans(label) for i, label in labels.items()}
    negatives = {i: gold_spans(label, "hard_negatives") for i, label in labels.items()}
    recall = pii_recall(gold_pii, pii)
    gold_repeats = {i: label["repeat_of"] for i, label in labels.items()}
    gold_clusters = {i: label["cluster"] for i, label in labels.items()}
    lookalikes = [
        i
        for i, label in labels.items()
        if label["repeat_of"] is None and {"lookalike", "thanks"} & set(label["tags"])
    ]
    return Scored(
        language=language_accuracy(gold_language, language),
        nordic={code: language_accuracy(gold_language, language, code) for code in NORDIC},
        undecidable=undecidable_left_null(gold_language, language),
        recall=recall,
        recall_all=Ratio(
            sum(r.hits for r in recall.values()), sum(r.total for r in recall.values())
        ),
        false_alarms=pii_false_alarms(negatives, gold_pii, pii),
        precision=pii_precision(gold_pii, pii),
        macro_f1=macro_f1({i: label["sentiment"] for i, label in labels.items()}, sentiment),
        sarcasm=sarcasm_read_as_negative(
            [i for i, label in labels.items() if label["sarcasm"]], sentiment
        ),
        repeats=repeat_scores(gold_repeats, repeats),
        lookalike_flags=Ratio(sum(repeats.get(i) is not None for i in lookalikes), len(lookalikes)),
        alerts=alert_scores(data.bursts, alerts, gold_clusters, clusters, brand_of),
        pairwise=pairwise_clusters(gold_clusters, clusters, brand_of),
        bcubed=bcubed_clusters(gold_clusters, clusters, brand_of),
    )


def _score_analysis(data: EvalSet, analysis: Analysis) -> Scored:
    results = analysis.results
    return score(
        data,
        {i: r["language"] for i, r in results.items()},
        {i: r["pii"] for i, r in results.items()},
        {i: r["sentiment"] for i, r in results.items()},
        {i: r["repeat_of"] for i, r in results.items()},
        {i: r["cluster"] for i, r in results.items()},
        analysis.alerts,
    )


def cross_brand_links(data: EvalSet, together: Analysis) -> tuple[int, int]:
    """Repeats pointing at another brand's post, and cluster names holding several brands'
    posts, when all brands are analysed in one file."""
    brand_of = data.brand_of()
    repeats = sum(
        r["repeat_of"] is not None and brand_of.get(r["repeat_of"]) != brand_of[i]
        for i, r in together.results.items()
    )
    brands: dict[str, set[str]] = defaultdict(set)
    for i, result in together.results.items():
        if result["cluster"] is not None:
            brands[result["cluster"]].add(brand_of[i])
    return repeats, sum(len(names) > 1 for names in brands.values())


TRAINING = ROOT / "resources" / "analysis"


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def training_overlap(data: EvalSet, folder: Path = TRAINING) -> Ratio | None:
    """Evaluation posts found word for word (case and spacing aside) among the texts of the
    files under resources/analysis/ (the analysis's training corpus and model); None when there
    is no such folder. The set is only meaningful while this stays at 0."""
    if not folder.is_dir():
        return None
    seen: set[str] = set()
    for path in folder.rglob("*"):
        if not path.is_file() or path.stat().st_size > 200_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for line in text.splitlines():
            try:
                seen.update(_normal(item) for item in _strings(json.loads(line)))
            except (json.JSONDecodeError, RecursionError):
                seen.update(_normal(part) for part in re.split(r"\t|\s\|\s", line))
    # Short posts ("Nettet er nede igjen.") may well be written twice by two people.
    texts = [_normal(post["text"]) for post in data.posts if len(post["text"]) >= 40]
    return Ratio(sum(text in seen for text in texts), len(texts))


def rows_for(
    heedful: Scored | None,
    base: Scored,
    baseline: Baseline,
    data: EvalSet,
    per_post_ms: float | None,
    startup_s: float | None,
    cross: tuple[int, int] | None,
) -> list[Row]:
    rows: list[Row] = []
    absent = "not run"

    def add(
        name: str,
        pick: Callable[[Scored], str],
        base_text: str,
        goal: str = "",
        verdict: Callable[[Scored], bool | None] | None = None,
    ) -> None:
        rows.append(
            Row(
                name,
                pick(heedful) if heedful else absent,
                base_text,
                goal,
                verdict(heedful) if heedful and verdict else None,
            )
        )

    lid = "py3langid as is"
    add(
        "Language: accuracy, decidable posts",
        lambda s: s.language.percent(),
        f"{base.language.percent()} {lid}",
        "≥ 99 %",
        lambda s: _at_least(s.language, 0.99),
    )
    for code in NORDIC:
        add(
            f"Language: {code}",
            lambda s, c=code: s.nordic[c].percent(),  # type: ignore[misc]
            f"{base.nordic[code].percent()} {lid}",
        )
    add(
        "Language: undecidable posts left null",
        lambda s: s.undecidable.percent(),
        f"{base.undecidable.percent()} {lid} (never null)",
    )
    naive = "naive regexes"
    for kind in PII_TYPES:
        add(
            f"PII recall: {kind}",
            lambda s, k=kind: s.recall.get(k, Ratio(0, 0)).percent(),  # type: ignore[misc]
            f"{base.recall.get(kind, Ratio(0, 0)).percent()} {naive}",
            "≥ 98 %",
            lambda s, k=kind: _at_least(s.recall.get(k), 0.98),
        )  # type: ignore[misc]
    add(
        "PII recall: all types",
        lambda s: s.recall_all.percent(),
        f"{base.recall_all.percent()} {naive}",
        "≥ 98 %",
        lambda s: _at_least(s.recall_all, 0.98),
    )
    add(
        "PII false alarms on hard negatives",
        lambda s: s.false_alarms.percent(),
        f"{base.false_alarms.percent()} {naive}",
        "≤ 2 %",
        lambda s: None if s.false_alarms.value is None else s.false_alarms.value <= 0.02,
    )
    add(
        "PII precision, all predicted spans",
        lambda s: s.precision.percent(),
        f"{base.precision.percent()} {naive}",
    )
    majority = dict.fromkeys(data.labels, baseline.majority_sentiment)
    majority_f1 = macro_f1({i: label["sentiment"] for i, label in data.labels.items()}, majority)
    add(
        "Sentiment: macro-F1 (4 classes)",
        lambda s: f"{s.macro_f1:.2f}",
        f"{base.macro_f1:.2f} tiny lexicon (majority class: {majority_f1:.2f})",
        "≥ 0.80",
        lambda s: s.macro_f1 >= 0.80,
    )
    add(
        "Sentiment: sarcasm read as negative",
        lambda s: s.sarcasm.percent(),
        f"{base.sarcasm.percent()} tiny lexicon",
        "≥ 80 %",
        lambda s: _at_least(s.sarcasm, 0.80),
    )
    overlap = "same author + word overlap"
    add(
        "Repeats: recall (linked to an earlier post of the complaint)",
        lambda s: s.repeats.recall.percent(),
        f"{base.repeats.recall.percent()} {overlap}",
        "≥ 95 %",
        lambda s: _at_least(s.repeats.recall, 0.95),
    )
    add(
        "Repeats: linked to the earliest post, exactly",
        lambda s: s.repeats.strict.percent(),
        f"{base.repeats.strict.percent()} {overlap}",
    )
    add(
        "Repeats: false flags, all posts that are no repeat",
        lambda s: s.repeats.false_flags.percent(),
        f"{base.repeats.false_flags.percent()} {overlap}",
        "≤ 3 %",
        lambda s: (
            None if s.repeats.false_flags.value is None else s.repeats.false_flags.value <= 0.03
        ),
    )
    add(
        "Repeats: false flags on look-alikes and thank-yous",
        lambda s: s.lookalike_flags.percent(),
        f"{base.lookalike_flags.percent()} {overlap}",
    )
    hourly = f"≥ {BASELINE_POSTS_PER_HOUR} posts/hour"
    add(
        "Alerts: bursts alerted by their 3rd post",
        lambda s: s.alerts.alerted_by_third.percent(),
        f"{base.alerts.alerted_by_third.percent()} {hourly}",
        "all",
        lambda s: s.alerts.alerted_by_third.hits == s.alerts.alerted_by_third.total,
    )
    add(
        "Alerts: bursts alerted within 10 min of their 1st post",
        lambda s: s.alerts.within_ten_minutes.percent(),
        f"{base.alerts.within_ten_minutes.percent()} {hourly}",
        "all",
        lambda s: s.alerts.within_ten_minutes.hits == s.alerts.within_ten_minutes.total,
    )

    def latency(s: Scored) -> str:
        values = list(s.alerts.latency.values())
        if any(v is None for v in values):
            return f"worst never ({sum(v is None for v in values)} missed)"
        worst = max(v for v in values if v is not None)
        middle = statistics.median(v.total_seconds() for v in values if v is not None) / 60
        return f"median {middle:.1f} min, worst {_minutes(worst)}"

    add("Alerts: latency from a burst's 1st post", latency, f"{latency(base)} {hourly}")
    add(
        "Alerts: false alerts (ordinary traffic, peaks, reply storms, slow clusters)",
        lambda s: str(len(s.alerts.false_alerts)),
        f"{len(base.alerts.false_alerts)} {hourly}",
        "0",
        lambda s: not s.alerts.false_alerts,
    )
    keyword = "shared problem keyword"
    add(
        "Clusters: pairwise F1 (precision / recall)",
        lambda s: f"{s.pairwise.f1:.2f} ({s.pairwise.precision:.2f} / {s.pairwise.recall:.2f})",
        f"{base.pairwise.f1:.2f} ({base.pairwise.precision:.2f} / {base.pairwise.recall:.2f}) "
        f"{keyword}",
        "≥ 0.85",
        lambda s: s.pairwise.f1 >= 0.85,
    )
    add(
        "Clusters: B-cubed F1 (precision / recall)",
        lambda s: f"{s.bcubed.f1:.2f} ({s.bcubed.precision:.2f} / {s.bcubed.recall:.2f})",
        f"{base.bcubed.f1:.2f} ({base.bcubed.precision:.2f} / {base.bcubed.recall:.2f}) {keyword}",
    )
    if heedful is not None:
        cross_text = "not run" if cross is None else (f"{cross[0]} repeats, {cross[1]} clusters")
        rows.append(
            Row(
                "Brands kept apart: cross-brand links, all brands in one file",
                cross_text,
                "—",
                "0",
                None if cross is None else cross == (0, 0),
            )
        )
    else:
        rows.append(
            Row("Brands kept apart: cross-brand links, all brands in one file", absent, "—", "0")
        )
    posts = len(data.posts)
    base_ms = baseline.seconds * 1000 / posts
    rows.append(
        Row(
            "Time per post (analysis, start-up taken off)",
            absent if per_post_ms is None else f"{per_post_ms:.2f} ms",
            f"{base_ms:.2f} ms all baselines",
            "≤ 1 ms",
            None if per_post_ms is None else per_post_ms <= 1.0,
        )
    )
    rows.append(
        Row(
            "Start-up of `heedful analyse` (one post)",
            absent if startup_s is None else f"{startup_s * 1000:,.0f} ms",
            "—",
        )
    )
    return rows


def report(folder: Path = EVAL, analyse: Sequence[str] = ANALYSE) -> str:
    """The whole care benchmark as Markdown: what ran, the table, and notes."""
    data = load_set(folder)
    baseline = run_baselines(data)
    base = score(
        data,
        baseline.language,
        baseline.pii,
        baseline.sentiment,
        baseline.repeats,
        baseline.clusters,
        baseline.alerts,
    )
    overlap = training_overlap(data)
    with tempfile.TemporaryDirectory(prefix="heedful-care-") as temporary:
        analysis, together, startup = run_heedful(data, Path(temporary), analyse)
    notes: list[str] = []
    heedful: Scored | None = None
    per_post: float | None = None
    cross: tuple[int, int] | None = None
    if analysis.failure:
        notes.append(
            f"**`heedful analyse` did not run: {analysis.failure}** Only the baselines "
            "are measured."
        )
    else:
        heedful = _score_analysis(data, analysis)
        if startup is not None:
            per_post = max(0.0, analysis.seconds - analysis.runs * startup) * 1000 / len(data.posts)
        if together is not None:
            cross = cross_brand_links(data, together)
        else:
            notes.append("The all-brands run failed; cross-brand links not measured.")
        if analysis.problems:
            shown = "; ".join(analysis.problems[:5])
            notes.append(
                f"Output not in the issue's format ({len(analysis.problems)}): {shown}"
                f"{' …' if len(analysis.problems) > 5 else ''}"
            )
        missed = [c for c, d in heedful.alerts.latency.items() if d is None]
        if missed:
            notes.append(f"Bursts never alerted: {', '.join(missed)}.")
        if heedful.alerts.false_alerts:
            shown = ", ".join(
                f"{a.brand} {a.cluster} at {a.at:%a %H:%M}" for a in heedful.alerts.false_alerts[:6]
            )
            notes.append(f"False alerts: {shown}.")
        if heedful.alerts.repeated:
            notes.append(
                f"{heedful.alerts.repeated} further alerts on bursts already alerted "
                "(not counted as false)."
            )
    header = (
        f"Care analysis on {len(data.posts)} labelled posts "
        f"({len({label['language'] for label in data.labels.values()} - {None})} languages, "
        f"{len(data.profiles)} brands, {len(data.bursts)} bursts), benchmarks/care/eval/. "
        "Spans match when the type is the same and the overlap covers half of each span; "
        "clusters are scored within a brand."
    )
    rows = rows_for(heedful, base, baseline, data, per_post, startup, cross)
    rows.append(
        Row(
            "Set kept apart: its posts found word for word in resources/analysis/",
            "no such folder" if overlap is None else overlap.percent(),
            "—",
            "0",
            None if overlap is None else overlap.hits == 0,
        )
    )
    return "\n\n".join(
        [header, table(rows)] + (["\n".join(f"- {n}" for n in notes)] if notes else [])
    )


if __name__ == "__main__":
    print(report())
