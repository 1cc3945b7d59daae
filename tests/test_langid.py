"""The on-device language detector: short posts in the right language (Norwegian, Danish and
Swedish told apart), no language for what has none, no numpy, and the model read only when
first needed. Posts here are written for these tests, not taken from the training corpus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.analysis import langid, train_langid
from app.analysis.train import corpus_digest, quantise, read_header
from app.analysis.train_corpus import TRAINING, read_jsonl
from app.text import language

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hei, pakken min har ikke kommet enda. Kan dere sjekke?", "nb"),
        ("Jeg har ventet i en time på bussen, hva skjer?", "nb"),
        ("Eg har venta i ein time på bussen, kva skjer?", "nn"),
        ("Kvifor har eg ikkje fått svar frå dykk enno?", "nn"),
        ("Jeg har ventet en time på bussen, hvad sker der?", "da"),
        ("Hvorfor har jeg ikke fået svar fra jer endnu?", "da"),
        ("Jag har väntat en timme på bussen, vad händer?", "sv"),
        ("Varför har jag inte fått något svar från er än?", "sv"),
        ("Tusind tak for hjælpen!", "da"),
        ("Tack så mycket för hjälpen!", "sv"),
    ],
)
def test_norwegian_nynorsk_danish_and_swedish_short_posts_are_told_apart(
    text: str, expected: str
) -> None:
    assert langid.detect(text).language == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My parcel still hasn't arrived, any news?", "en"),
        ("Mein Paket ist immer noch nicht da, was ist los?", "de"),
        ("Mon colis n'est toujours pas arrivé, des nouvelles ?", "fr"),
        ("Mi paquete todavía no ha llegado, ¿alguna novedad?", "es"),
        ("Mijn pakket is nog steeds niet binnen, nieuws?", "nl"),
        ("Il mio pacco non è ancora arrivato, novità?", "it"),
        ("A minha encomenda ainda não chegou, alguma novidade?", "pt"),
        ("Moja paczka wciąż nie dotarła, są jakieś wieści?", "pl"),
        ("Pakettini ei ole vieläkään tullut, onko uutisia?", "fi"),
        ("Danke!", "de"),
        ("Gracias 🙏", "es"),
    ],
)
def test_posts_in_the_supported_languages_are_recognised(text: str, expected: str) -> None:
    assert langid.detect(text).language == expected


@pytest.mark.parametrize(
    "text",
    [
        "😂😂😂",
        "ok 👍",
        "@fjellform ❤️",
        "https://example.com/o/123",
        "asdfgh qwerty zxcvb",
        "10/10",
        "",
    ],
)
def test_posts_without_a_language_get_none_rather_than_a_guess(text: str) -> None:
    guess = langid.detect(text)
    assert guess.language is None
    assert 0.0 <= guess.confidence < langid.MIN_CONFIDENCE


def test_confidence_is_a_probability_and_higher_for_a_clear_post() -> None:
    clear = langid.detect("Kvifor har eg ikkje fått pengane mine tilbake enno?")
    vague = langid.detect("Bra pris!")
    assert 0.0 < vague.confidence < clear.confidence <= 1.0


def test_the_guardrail_detector_folds_nynorsk_into_norwegian_and_ignores_short_replies() -> None:
    # A Bokmål answer to a Nynorsk post is in the customer's language.
    assert language.detect("Eg har venta i ein time på bussen, kva skjer?") == "nb"
    assert language.detect("Takk!") is None  # too short to warn about
    assert language.detect("Thanks for waiting, the parcel is on its way now.") == "en"
    assert language.normalise("nn-NO") == "nb"


def test_the_models_load_on_first_use_and_numpy_is_never_imported() -> None:
    script = (
        "import sys\n"
        "from app.analysis import langid, sentiment\n"
        "from app.text import language\n"
        "assert not langid.is_loaded() and not sentiment.is_loaded()\n"
        "assert language.detect('Pakken min har ikke kommet ennå, hva skjer?') == 'nb'\n"
        "assert langid.is_loaded()\n"
        "assert 'numpy' not in sys.modules and 'py3langid' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_the_converted_model_gives_py3langid_s_own_answers() -> None:
    """The pure-Python scorer over the converted table picks what py3langid picks with the
    same candidate languages (the conversion loses nothing that matters)."""
    py3langid = pytest.importorskip("py3langid.langid")
    identifier = py3langid.LanguageIdentifier.from_model_file(py3langid.MODEL_FILE)
    identifier.set_languages(list(train_langid.CANDIDATES))
    model = langid._loaded()
    posts = []
    for path in sorted((TRAINING / "dev").glob("*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        posts.extend(json.loads(line)["text"] for line in lines[:12])
    differ = []
    for text in posts:
        scores = model.naive_bayes(text)
        ours = model.languages[scores.index(max(scores))]
        theirs, _ = identifier.classify(text)
        if ours != ("nb" if theirs == "no" else theirs):
            differ.append((text, ours, theirs))
    assert not differ


def test_the_specialist_trains_to_the_same_bytes_twice() -> None:
    sample = [
        post
        for language_code in ("nb", "nn", "da", "sv")
        for post in read_jsonl(TRAINING / "train" / f"{language_code}.jsonl")[:40]
    ]
    lexicon = train_langid.markers()

    def weights(seed: int) -> bytes:
        rows, _ = quantise(train_langid.train_specialist(sample, lexicon, 1 << 12, 2, seed)[0])
        return b"".join(rows)

    assert weights(3) == weights(3)
    assert weights(3) != weights(4)  # the seed matters, so the equality above means something


def test_the_shipped_specialist_was_trained_on_the_shipped_corpus_and_markers() -> None:
    header = read_header(langid.model_path().read_bytes())
    specialist = header["specialist"]
    assert isinstance(specialist, dict)
    assert specialist["corpus"] == corpus_digest(train_langid.corpus_posts("train"))
    assert specialist["markers"] == train_langid.MARKERS_PATH.read_text(encoding="utf-8")


def test_a_huge_hostile_post_is_judged_by_its_start() -> None:
    assert langid.detect("Pakka mi har ikkje kome enno. " * 400_000).language == "nn"  # 12 MB
