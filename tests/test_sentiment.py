"""The on-device sentiment model reads posts as a community manager would: sarcasm is negative
in every language, a calm complaint is negative, thanks are positive, a plain question is
neutral, praise with a complaint is mixed. Posts here are written for these tests, not taken
from the training corpus. Speed is measured in benchmarks/analysis_models.py, not here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.analysis import sentiment, train, train_corpus

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "text",
    [
        "Great, third day without internet. Super.",
        "Oh wonderful, my flight is delayed again. Love it 🙃",
        "Så fint, enda en kveld uten strøm. Takk for det 🙃",
        "Na super, schon wieder kein Netz. Danke auch.",
        "Génial, encore un colis perdu. Merci beaucoup 🙄",
        "Genial, otra vez sin cobertura. Gracias 🙃",
        "Toppen, ännu en försenad leverans. Tack för det 🙄",
        "Fantastico, il treno è di nuovo in ritardo. Grazie davvero 🙃",
        "Super, znowu brak internetu. Dzięki wielkie 🙄",
        "Geweldig, alweer geen bereik. Bedankt hoor 🙄",
    ],
)
def test_sarcasm_reads_as_negative_in_every_language(text: str) -> None:
    result = sentiment.classify(text)
    assert result.label == "negative"
    assert result.sarcasm


@pytest.mark.parametrize(
    "text",
    [
        "my order hasn't arrived",
        "I ordered a jacket two weeks ago and it still hasn't shipped.",
        "Pakken min har ikke kommet",
        "Pakka mi har ikkje kome enno.",
        "Min pakke er ikke kommet endnu.",
        "Mitt paket har inte kommit än.",
        "Mein Paket ist noch nicht angekommen.",
    ],
)
def test_a_calm_complaint_is_negative_without_being_sarcastic(text: str) -> None:
    result = sentiment.classify(text)
    assert result.label == "negative"
    assert not result.sarcasm


@pytest.mark.parametrize(
    "text",
    [
        "thanks, fixed now!",
        "Takk, nå virker det igjen!",
        "Danke, jetzt funktioniert alles!",
        "Merci, tout marche maintenant !",
    ],
)
def test_thanks_for_a_fix_is_positive(text: str) -> None:
    assert sentiment.classify(text).label == "positive"


@pytest.mark.parametrize(
    "text",
    [
        "Do you ship to Iceland?",
        "Har dere åpent på søndag?",
        "Wann öffnet die Filiale am Samstag?",
        "¿Hacéis envíos a Canarias?",
    ],
)
def test_a_question_without_feeling_is_neutral(text: str) -> None:
    assert sentiment.classify(text).label == "neutral"


@pytest.mark.parametrize(
    "text",
    [
        "Elsker jakka, men glidelåsen røk etter en uke.",
        "Tolle Jacke, aber der Reißverschluss ist nach einer Woche kaputt.",
        "Great price, shame about the battery.",
    ],
)
def test_praise_with_a_complaint_is_mixed(text: str) -> None:
    assert sentiment.classify(text).label == "mixed"


def test_scores_are_probabilities_and_the_label_is_the_likeliest() -> None:
    result = sentiment.classify("Tusen takk for rask hjelp, dere er best!")
    assert set(result.scores) == set(sentiment.LABELS)
    assert sum(result.scores.values()) == pytest.approx(1.0)
    assert result.confidence == max(result.scores.values()) == result.scores[result.label]


def test_empty_and_many_posts() -> None:
    assert sentiment.classify("   ").label == "neutral"
    texts = ["thanks, fixed now!", "my order hasn't arrived"]
    assert sentiment.classify_many(texts) == [sentiment.classify(t) for t in texts]


def test_the_model_is_read_on_first_use_not_at_import() -> None:
    script = (
        "from app.analysis import sentiment\n"
        "assert not sentiment.is_loaded()\n"
        "assert sentiment.classify('my order has not arrived').label == 'negative'\n"
        "assert sentiment.is_loaded()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_the_model_file_is_small() -> None:
    assert sentiment.model_path().stat().st_size <= 20_000_000


def test_retraining_on_the_same_posts_gives_the_same_bytes() -> None:
    sample = [
        post
        for language in ("en", "nb", "de")
        for post in train_corpus.read_jsonl(train.TRAINING / "train" / f"{language}.jsonl")[:60]
    ]
    first = train.build(sample, buckets=1 << 12, epochs=2, seed=5)
    assert first == train.build(sample, buckets=1 << 12, epochs=2, seed=5)
    # A different seed shuffles differently: the equality above is not a constant.
    assert first != train.build(sample, buckets=1 << 12, epochs=2, seed=6)


def test_the_corpus_files_are_what_the_builder_makes() -> None:
    """Edited written posts or fragments must be followed by `python -m
    app.analysis.train_corpus` (and a retraining), or the model trains on stale text."""
    for split, language, posts in train_corpus.corpus():
        path = train.TRAINING / split / f"{language}.jsonl"
        expected = "".join(post.json_line() + "\n" for post in posts)
        assert path.read_text(encoding="utf-8") == expected, path


def test_the_shipped_model_was_trained_on_the_shipped_corpus_and_lexicon() -> None:
    header = train.read_header(sentiment.model_path().read_bytes())
    assert header["corpus"] == train.corpus_digest(train.load_posts("train"))
    assert header["lexicon"] == train.LEXICON_PATH.read_text(encoding="utf-8")


def test_a_huge_hostile_post_is_judged_quickly_by_its_start() -> None:
    result = sentiment.classify("My order still hasn't arrived. " * 400_000)  # 12 MB
    assert result.label == "negative"
