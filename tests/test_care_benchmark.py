"""The care benchmark scores what it claims (tiny hand-made cases), and its evaluation set is
well-formed. Nothing here depends on how good Heedful's analysis is."""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import sys
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest
from stdnum import iban, luhn

from benchmarks import care
from benchmarks.care import Alert, Burst, Ratio, Span, parse_time

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "benchmarks" / "care" / "eval"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("care_eval_generate", EVAL / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def data() -> care.EvalSet:
    return care.load_set()


# --- scoring on tiny cases ----------------------------------------------------------------


def test_spans_match_on_type_and_half_of_each_span() -> None:
    gold = Span("phone", 10, 24)  # "+47 912 34 567"
    assert care.spans_match(gold, Span("phone", 10, 24))
    assert care.spans_match(gold, Span("phone", 14, 24))  # without the country code
    assert care.spans_match(gold, Span("phone", 9, 25))  # one character more each side
    assert not care.spans_match(gold, Span("card_number", 10, 24))  # wrong type
    assert not care.spans_match(gold, Span("phone", 0, 60))  # swallows the sentence
    assert not care.spans_match(gold, Span("phone", 20, 30))  # a third of it
    assert not care.spans_match(gold, Span("phone", 24, 30))  # touching, not overlapping


def test_pii_recall_is_one_when_perfect_and_zero_when_nothing_is_found() -> None:
    gold = {"a": [Span("email", 0, 5), Span("iban", 8, 30)], "b": [Span("email", 3, 9)]}
    assert {k: r.value for k, r in care.pii_recall(gold, gold).items()} == {"email": 1, "iban": 1}
    assert {k: r.value for k, r in care.pii_recall(gold, {}).items()} == {"email": 0, "iban": 0}
    # A span in the wrong post does not count.
    found = care.pii_recall(gold, {"b": [Span("iban", 8, 30)], "a": [Span("email", 0, 5)]})
    assert found["email"] == Ratio(1, 2)
    assert found["iban"] == Ratio(0, 1)


def test_false_alarms_count_hard_negatives_touched_by_a_wrong_span() -> None:
    negatives = {"a": [Span("price", 0, 6), Span("card_ending", 20, 24)], "b": [Span("date", 0, 5)]}
    gold = {"a": [Span("card_number", 30, 49)]}
    assert care.pii_false_alarms(negatives, gold, {}) == Ratio(0, 3)
    # The real card beside the negative is no false alarm, even when its span runs into it.
    assert care.pii_false_alarms(negatives, gold, {"a": [Span("card_number", 29, 49)]}).hits == 0
    # A "card" found in "ending in 1234" and a phone found in a date are.
    wrong = {"a": [Span("card_number", 18, 24)], "b": [Span("phone", 0, 5)]}
    assert care.pii_false_alarms(negatives, gold, wrong) == Ratio(2, 3)
    assert care.pii_precision(gold, wrong) == Ratio(0, 2)


def test_f1_and_macro_f1_arithmetic() -> None:
    assert care.f1(0.5, 1.0) == pytest.approx(2 / 3)
    assert care.f1(0.0, 0.0) == 0.0
    gold = {"1": "positive", "2": "negative", "3": "neutral", "4": "mixed"}
    assert care.macro_f1(gold, gold) == 1.0
    assert care.macro_f1(gold, {}) == 0.0
    # Everything called negative: negative has P 1/4, R 1 → F1 0.4; the others 0 → 0.1.
    assert care.macro_f1(gold, dict.fromkeys(gold, "negative")) == pytest.approx(0.1)
    two = {"1": "negative", "2": "negative", "3": "positive", "4": "positive"}
    # negative: P 1/1, R 1/2 → 2/3; positive: P 2/3, R 2/2 → 4/5.
    assert care.macro_f1(
        two,
        {"1": "negative", "2": "positive", "3": "positive", "4": "positive"},
        ("negative", "positive"),
    ) == pytest.approx((2 / 3 + 4 / 5) / 2)


def test_sarcasm_counts_only_sarcastic_posts_read_as_negative() -> None:
    predicted = {"s1": "negative", "s2": "positive", "x": "negative"}
    assert care.sarcasm_read_as_negative(["s1", "s2"], predicted) == Ratio(1, 2)
    assert care.sarcasm_read_as_negative(["s1", "s2"], {}) == Ratio(0, 2)


def test_language_accuracy_counts_null_as_wrong_but_right_when_undecidable() -> None:
    gold = {"1": "nb", "2": "nn", "3": "da", "4": None}
    assert care.language_accuracy(gold, gold) == Ratio(3, 3)
    assert care.language_accuracy(gold, {}) == Ratio(0, 3)
    assert care.language_accuracy(gold, {"1": "nb", "2": "nb", "3": None}) == Ratio(1, 3)
    assert care.language_accuracy(gold, {"2": "nb"}, only="nn") == Ratio(0, 1)
    assert care.undecidable_left_null(gold, {"4": None}) == Ratio(1, 1)
    assert care.undecidable_left_null(gold, {"4": "en"}) == Ratio(0, 1)
    assert care.undecidable_left_null(gold, {}) == Ratio(0, 1)  # no answer is not "null"


def test_repeat_scores() -> None:
    gold = {"a1": None, "a2": "a1", "a3": "a1", "b1": None, "c1": None, "c2": None}
    perfect = care.repeat_scores(gold, gold)
    assert (perfect.recall.value, perfect.strict.value, perfect.false_flags.value) == (1, 1, 0)
    empty = care.repeat_scores(gold, {})
    assert (empty.recall.value, empty.false_flags.value) == (0, 0)
    # a3 linked to a2 (an earlier post of the same complaint): found, not exact; c2 flagged.
    linked = care.repeat_scores(gold, {"a2": "a1", "a3": "a2", "c2": "c1"})
    assert linked.recall == Ratio(2, 2)
    assert linked.strict == Ratio(1, 2)
    assert linked.false_flags == Ratio(1, 4)
    # A link to another complaint or to itself is no hit.
    assert care.repeat_scores(gold, {"a2": "b1", "a3": "a3"}).recall == Ratio(0, 2)


def test_cluster_scores_pairwise_and_bcubed() -> None:
    brand_of = {"1": "x", "2": "x", "3": "x", "4": "x", "5": "y", "6": "y"}
    gold = {"1": "down", "2": "down", "3": "down", "4": None, "5": "down", "6": "down"}
    for scorer in (care.pairwise_clusters, care.bcubed_clusters):
        assert scorer(gold, gold, brand_of).f1 == 1.0
        assert scorer(gold, {}, brand_of).f1 == 0.0
    # The same name in two brands is two clusters: pairs never cross brands.
    merged = dict.fromkeys(brand_of, "c")
    pairwise = care.pairwise_clusters(gold, merged, brand_of)
    assert pairwise.recall == 1.0
    assert pairwise.precision == pytest.approx(4 / 7)  # x: 6 pairs, 3 right; y: 1 pair, right
    # Splitting {1,2,3} into {1,2} and {3}: one of three pairs kept, all predicted pairs right.
    split = {"1": "a", "2": "a", "3": "b", "5": "c", "6": "c"}
    pairwise = care.pairwise_clusters(gold, split, brand_of)
    assert (pairwise.precision, pairwise.recall) == (1.0, pytest.approx(2 / 4))
    bcubed = care.bcubed_clusters(gold, split, brand_of)
    assert bcubed.precision == 1.0
    assert bcubed.recall == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1 + 1) / 5)


def _burst(cluster: str, first: str, third: str, last: str, brand: str = "x") -> Burst:
    return Burst(brand, cluster, "p1", parse_time(first), "p3", parse_time(third), parse_time(last))


def test_alert_scores_latency_third_post_and_false_alerts() -> None:
    bursts = [
        _burst("x/down", "2026-03-03T07:00:00Z", "2026-03-03T07:06:00Z", "2026-03-03T08:00:00Z"),
        _burst("x/tv", "2026-03-05T20:00:00Z", "2026-03-05T20:04:00Z", "2026-03-05T20:40:00Z"),
    ]
    on_time = Alert("x", "c1", parse_time("2026-03-03T07:06:00Z"))
    late = Alert("x", "c2", parse_time("2026-03-05T20:12:00Z"))
    again = Alert("x", "c1", parse_time("2026-03-03T07:30:00Z"))
    storm = Alert("x", "c9", parse_time("2026-03-04T18:10:00Z"))
    other_brand = Alert("y", "c1", parse_time("2026-03-03T07:06:00Z"))
    score = care.alert_scores(bursts, [late, storm, on_time, again, other_brand])
    assert score.latency == {"x/down": timedelta(minutes=6), "x/tv": timedelta(minutes=12)}
    assert score.by_third_post == {"x/down": True, "x/tv": False}
    assert score.alerted_by_third == Ratio(1, 2)
    assert score.within_ten_minutes == Ratio(1, 2)
    assert score.false_alerts == [other_brand, storm]  # in time order
    assert score.repeated == 1
    nothing = care.alert_scores(bursts, [])
    assert nothing.alerted_by_third == Ratio(0, 2)
    assert nothing.latency == {"x/down": None, "x/tv": None}


def test_an_alert_about_another_problem_does_not_count_for_the_burst() -> None:
    bursts = [
        _burst("x/down", "2026-03-03T07:00:00Z", "2026-03-03T07:06:00Z", "2026-03-03T08:00:00Z")
    ]
    gold = {"p1": "x/down", "p2": "x/down", "q1": None, "q2": None}
    predicted = {"p1": "A", "p2": "A", "q1": "B", "q2": "B"}
    brand_of = dict.fromkeys(gold, "x")
    right = Alert("x", "A", parse_time("2026-03-03T07:05:00Z"))
    wrong = Alert("x", "B", parse_time("2026-03-03T07:04:00Z"))
    score = care.alert_scores(bursts, [wrong, right], gold, predicted, brand_of)
    assert score.false_alerts == [wrong]
    assert score.by_third_post == {"x/down": True}
    # An alert that names its posts is judged by them.
    named = Alert("x", None, parse_time("2026-03-03T07:05:00Z"), ("p1", "p2"))
    assert care.alert_scores(bursts, [named], gold, {}, brand_of).by_third_post["x/down"]


def test_output_lines_that_break_the_format_are_dropped_and_reported() -> None:
    posts = [{"id": "a", "text": "mail me at kari@example.com"}, {"id": "b", "text": "hei"}]
    output = "\n".join(
        [
            json.dumps(
                {
                    "id": "a",
                    "language": "en",
                    "sentiment": "angry",
                    "sarcasm": False,
                    "pii": [
                        {"type": "email", "start": 11, "end": 27},
                        {"type": "passport", "start": 0, "end": 2},
                        {"type": "phone", "start": 20, "end": 99},
                    ],
                    "repeat_of": None,
                    "cluster": None,
                }
            ),
            "not json",
            json.dumps({"id": "zz", "sentiment": "neutral"}),
            json.dumps(
                {
                    "alert": "spike",
                    "brand": "x",
                    "cluster": "c",
                    "at": "2026-03-03T07:00:00Z",
                    "posts": 3,
                }
            ),
        ]
    )
    analysis = care.parse_output(output, posts)
    assert analysis.results["a"]["pii"] == [Span("email", 11, 27)]
    assert analysis.results["a"]["sentiment"] is None
    assert analysis.alerts == [Alert("x", "c", parse_time("2026-03-03T07:00:00Z"))]
    assert len(analysis.problems) == 6  # sentiment, 2 spans, not JSON, unknown id, b missing


# --- the whole benchmark with stand-ins for `heedful analyse` -------------------------------

ORACLE = """
import json, sys
from pathlib import Path
eval_dir = Path(sys.argv[1])
labels = {json.loads(l)["id"]: json.loads(l) for l in open(eval_dir / "labels.jsonl")}
bursts = json.loads((eval_dir / "spikes.json").read_text())["bursts"]
thirds = {b["third_id"]: b for b in bursts}
posts = [json.loads(l) for l in open(sys.argv[2])]
for post in posts:
    gold = labels[post["id"]]
    print(json.dumps({"id": post["id"], "language": gold["language"],
        "sentiment": gold["sentiment"], "sarcasm": gold["sarcasm"],
        "pii": [{"type": s["type"], "start": s["start"], "end": s["end"]} for s in gold["pii"]],
        "repeat_of": gold["repeat_of"], "cluster": gold["cluster"]}))
for post in posts:
    if post["id"] in thirds:
        burst = thirds[post["id"]]
        print(json.dumps({"alert": "spike", "brand": burst["brand"], "cluster": burst["cluster"],
                          "at": burst["third_at"], "posts": 3}))
"""


def _met_cells(text: str) -> dict[str, str]:
    rows = [line.strip("|").split("|") for line in text.splitlines() if line.startswith("| ")]
    return {row[0].strip(): row[4].strip() for row in rows[2:] if row[3].strip()}


def test_a_perfect_stand_in_meets_every_goal_and_the_baselines_stand_beside_it(
    tmp_path: Path,
) -> None:
    oracle = tmp_path / "oracle.py"
    oracle.write_text(ORACLE)
    text = care.report(analyse=[sys.executable, str(oracle), str(EVAL)])
    assert "did not run" not in text
    met = _met_cells(text)
    assert sum(verdict == "yes" for verdict in met.values()) >= 20
    # Speed depends on the machine and the overlap on the training folder; every other verdict
    # must be "yes" for perfect answers.
    wrong = {
        name: verdict
        for name, verdict in met.items()
        if verdict not in ("yes", "") and not name.startswith(("Time per post", "Set kept apart"))
    }
    assert wrong == {}
    assert "| Language: nb |" in text
    assert "py3langid as is" in text
    assert "naive regexes" in text


def test_a_missing_or_failing_command_is_said_clearly_and_the_baselines_still_print(
    tmp_path: Path,
) -> None:
    failing = tmp_path / "failing.py"
    failing.write_text("import sys\nprint('analyse: not here yet', file=sys.stderr)\nsys.exit(2)\n")
    text = care.report(analyse=[sys.executable, str(failing)])
    assert "`heedful analyse` did not run" in text
    assert "exited with 2: analyse: not here yet" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert rows
    # Every measure of the analysis says so (the set's own check against training still runs).
    analysis_rows = [row for row in rows if not row.startswith("| Set kept apart")]
    assert all(row.split("|")[2].strip() == "not run" for row in analysis_rows)
    assert all(row.split("|")[3].strip() for row in rows)  # a baseline (or "—") in every row
    assert "% (" in rows[0].split("|")[3]


def test_posts_copied_into_the_training_folder_are_found(
    tmp_path: Path, data: care.EvalSet
) -> None:
    training = tmp_path / "analysis" / "training"
    training.mkdir(parents=True)
    copied = next(p["text"] for p in data.posts if len(p["text"]) > 40)
    (training / "corpus.jsonl").write_text(
        json.dumps({"text": "  " + copied.upper() + " ", "label": "negative"})
        + "\n"
        + json.dumps({"text": "a post of its own, written for training"})
        + "\n"
    )
    (training / "notes.txt").write_text("lang | sent | another line of its own\n")
    found = care.training_overlap(data, tmp_path / "analysis")
    assert found is not None
    assert found.hits == 1
    assert care.training_overlap(data, tmp_path / "nothing") is None


# --- the evaluation set is well-formed ------------------------------------------------------


def test_the_set_is_big_enough_and_every_label_belongs_to_a_post(data: care.EvalSet) -> None:
    ids = data.ids
    assert len(ids) >= 600
    assert len(set(ids)) == len(ids)
    assert set(data.labels) == set(ids)
    languages = Counter(label["language"] for label in data.labels.values())
    real = {code for code in languages if code is not None}
    assert len(real) >= 10
    assert {"en", "nb", "nn", "sv", "da", "de", "fr", "es", "nl", "it", "pt", "pl"} <= real
    assert all(re.fullmatch(r"[a-z]{2}", code) for code in real)
    assert languages[None] >= 5  # some posts are genuinely undecidable
    assert {label["sentiment"] for label in data.labels.values()} == set(care.SENTIMENTS)
    assert sum(label["sarcasm"] for label in data.labels.values()) >= 20
    for label in data.labels.values():
        if label["sarcasm"]:
            assert label["sentiment"] == "negative", label["id"]


def test_posts_are_in_the_analyse_input_format_and_in_time_order(data: care.EvalSet) -> None:
    previous = None
    for post in data.posts:
        assert set(post) == {"id", "brand", "network", "author", "created_at", "kind", "text"}
        assert post["network"] in ("mastodon", "bluesky", "x")
        assert post["kind"] in ("mention", "reply", "dm")
        assert post["brand"] in data.profiles
        assert post["text"].strip()
        assert post["created_at"].endswith("Z")
        moment = parse_time(post["created_at"])
        assert previous is None or moment >= previous
        previous = moment


def test_spans_lie_inside_their_text_and_hold_what_the_label_says(data: care.EvalSet) -> None:
    texts = {post["id"]: post["text"] for post in data.posts}
    types: Counter[str] = Counter()
    for post_id, label in data.labels.items():
        text = texts[post_id]
        spans = label["pii"] + label["hard_negatives"]
        for span in spans:
            assert 0 <= span["start"] < span["end"] <= len(text), (post_id, span)
            assert text[span["start"] : span["end"]] == span["text"], (post_id, span)
            assert span["text"] == span["text"].strip(), (post_id, span)
        ordered = sorted(spans, key=lambda s: s["start"])
        assert all(a["end"] <= b["start"] for a, b in itertools.pairwise(ordered))
        types.update(span["type"] for span in label["pii"])
    assert set(types) == set(care.PII_TYPES)
    assert min(types.values()) >= 20, types


def test_personal_data_has_valid_checksums_and_look_alikes_fail_them(data: care.EvalSet) -> None:
    generate = _generator()
    digits = re.compile(r"\D")
    checked: Counter[str] = Counter()
    for label in data.labels.values():
        for span in label["pii"]:
            value = span["text"]
            if span["type"] == "iban":
                assert iban.is_valid(value) or span.get("form") == "NO kontonummer", value
                if span.get("form") == "NO kontonummer":
                    from stdnum.no import kontonr

                    assert kontonr.is_valid(value), value
            elif span["type"] == "card_number":
                assert luhn.is_valid(digits.sub("", value)), value
            elif span["type"] == "national_id":
                assert generate.national_id_is_valid(value), value
            else:
                continue
            checked[span["type"]] += 1
        for span in label["hard_negatives"]:
            value = span["text"]
            if span["kind"] == "invalid_iban":
                assert not iban.is_valid(value), value
            elif span["kind"] == "invalid_card":
                assert not luhn.is_valid(digits.sub("", value)), value
            elif span["kind"] == "invalid_national_id":
                assert not generate.national_id_is_valid(value), value
            else:
                continue
            checked[span["kind"]] += 1
    assert all(
        checked[kind] >= 5
        for kind in (
            "iban",
            "card_number",
            "national_id",
            "invalid_iban",
            "invalid_card",
            "invalid_national_id",
        )
    ), checked


def test_brand_contacts_marked_as_negatives_are_the_brands_own(data: care.EvalSet) -> None:
    profiles = {name: json.loads(path.read_text()) for name, path in data.profiles.items()}
    seen = 0
    for label in data.labels.values():
        profile = profiles[label["brand"]]
        own = profile["support_emails"] + profile["support_phones"] + profile["domains"]
        for span in label["hard_negatives"]:
            if span["kind"] == "brand_contact":
                assert span["text"] in own, (label["id"], span)
                seen += 1
        for span in label["pii"]:
            assert span["text"] not in own, (label["id"], span)
    assert seen >= 20
    for profile in profiles.values():
        for pattern in profile["order_patterns"]:
            re.compile(pattern)


def test_repeats_point_to_an_earlier_post_of_the_same_author_and_brand(data: care.EvalSet) -> None:
    posts = {post["id"]: post for post in data.posts}
    order = {post_id: index for index, post_id in enumerate(data.ids)}
    chains: dict[str, list[str]] = defaultdict(list)
    for post_id, label in data.labels.items():
        root = label["repeat_of"]
        if root is None:
            continue
        assert order[root] < order[post_id]
        assert posts[root]["author"] == posts[post_id]["author"]
        assert posts[root]["brand"] == posts[post_id]["brand"]
        assert data.labels[root]["repeat_of"] is None  # the earliest post of the chain
        chains[root].append(post_id)
    assert sum(len(members) for members in chains.values()) >= 40
    assert any(len(members) >= 2 for members in chains.values())
    # Thank-yous and look-alikes from the same authors are there, and are no repeats.
    lookalikes = [x for x in data.labels.values() if {"thanks", "lookalike"} & set(x["tags"])]
    assert len(lookalikes) >= 15
    assert all(label["repeat_of"] is None for label in lookalikes)


def test_clusters_stay_inside_one_brand_and_bursts_are_what_they_claim(data: care.EvalSet) -> None:
    times = data.times()
    members: dict[str, list[str]] = defaultdict(list)
    for post_id, label in data.labels.items():
        if label["cluster"] is not None:
            assert label["cluster"].startswith(label["brand"] + "/")
            members[label["cluster"]].append(post_id)
    assert all(len(ids) >= 2 for ids in members.values())
    assert len(data.bursts) >= 5
    for burst in data.bursts:
        ordered = sorted(
            (i for i in members[burst.cluster] if data.labels[i]["scenario"] == "burst"),
            key=times.__getitem__,
        )
        assert ordered[0] == burst.first_id
        assert ordered[2] == burst.third_id
        assert times[burst.third_id] - times[burst.first_id] <= timedelta(minutes=10)
        assert burst.brand == data.labels[burst.first_id]["brand"]
    # Ordinary traffic that must stay quiet: morning peaks and reply storms, in no cluster.
    quiet = [x for x in data.labels.values() if x["scenario"] in ("peak", "storm")]
    assert len(quiet) >= 40
    assert all(label["cluster"] is None for label in quiet)


def test_the_set_on_disk_is_what_the_generator_makes() -> None:
    generate = _generator()
    posts, spikes = generate.assemble(generate.parse_texts())
    for name, text in generate.render(posts, spikes).items():
        assert (EVAL / name).read_text(encoding="utf-8") == text, (
            f"{name} is stale: run generate.py"
        )
