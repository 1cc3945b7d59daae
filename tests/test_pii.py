"""Personal data by type and exact span, in every supported language; hard negatives quiet.

The examples (tests/data/analysis/pii.json) were written for these tests, separately from any
evaluation set. Check digits are real (python-stdnum validates them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.analysis import pii
from app.analysis.pii import PiiType
from app.compose.brand import BrandForm, BrandProfile, BrandProfileRefused, order_format_preview

DATA = json.loads((Path(__file__).parent / "data" / "analysis" / "pii.json").read_text("utf-8"))


def _contacts(example: dict[str, Any]) -> pii.BrandContacts:
    return BrandProfile.from_json(example.get("brand", {})).contacts()


@pytest.mark.parametrize("example", DATA["positive"], ids=lambda e: e["text"][:40])
def test_personal_data_is_found_with_its_type_and_exact_span(example: dict[str, Any]) -> None:
    text = example["text"]
    found = pii.find(text, _contacts(example))
    expected = sorted(
        (text.index(piece), text.index(piece) + len(piece), kind) for kind, piece in example["pii"]
    )
    assert [(f.start, f.end, f.type.value) for f in found] == expected
    for span in found:
        assert text[span.start : span.end] == span.text


@pytest.mark.parametrize("example", DATA["negative"], ids=lambda e: e["text"][:40])
def test_look_alikes_are_not_personal_data(example: dict[str, Any]) -> None:
    assert pii.find(example["text"], _contacts(example)) == []


def test_every_type_and_every_supported_language_is_covered() -> None:
    kinds = {kind for example in DATA["positive"] for kind, _ in example["pii"]}
    assert kinds == {t.value for t in PiiType}
    assert len(DATA["positive"]) >= 100
    assert len(DATA["negative"]) >= 80


def test_a_wrong_check_digit_is_not_a_number_worth_hiding() -> None:
    assert pii.find("IBAN NO93 8601 1117 948")[0:1] == []  # last digit off
    assert pii.find("fødselsnummer 15108695077") == []
    assert pii.find("card 4111 1111 1111 1112 declined") == []
    assert pii.find("HETU 131052-308U") == []
    assert [s.type for s in pii.find("card 4111 1111 1111 1111 declined")] == [PiiType.CARD_NUMBER]


def test_the_brands_own_contacts_are_never_personal_data() -> None:
    brand = pii.BrandContacts(
        support_emails=("hjelp@fjellform.example",),
        support_phones=("+47 22 00 00 00",),
        domains=("fjellform.example",),
    )
    text = "Ring 22 00 00 00 eller skriv til hjelp@fjellform.example eller ola@fjellform.example"
    assert pii.find(text, brand) == []
    assert [s.type for s in pii.find(text)] == [PiiType.PHONE, PiiType.EMAIL, PiiType.EMAIL]
    # The brand's number in another format is still the brand's.
    assert pii.find("call 0047 22 00 00 00", brand) == []


def test_order_numbers_follow_the_brands_examples() -> None:
    assert pii.order_pattern_from_example("FF-123456") == r"\b(?i:FF)-\d{6}\b"
    profile = BrandProfile(order_patterns=(), order_formats=("SO 123 4567",))
    found = pii.find("Where is so 482 1234? And SO 4821234", profile.contacts())
    assert [s.text for s in found] == ["so 482 1234", "SO 4821234"]
    # A digits-only format only counts after an order word: a bare number is anything.
    digits = BrandProfile(order_patterns=(), order_formats=("12345678",)).contacts()
    assert [s.text for s in pii.find("ordrenummer 48213377", digits)] == ["48213377"]
    assert pii.find("18213377 people can't be wrong", digits) == []
    with pytest.raises(ValueError, match="no digits"):
        pii.order_pattern_from_example("ABC-DEF")
    assert order_format_preview("FF-123456\n\nABC") == [
        r"“FF-123456” → numbers shaped like FF-999999 (pattern \b(?i:FF)-\d{6}\b)",
        "“ABC” has no digits: an order number example needs them",
    ]


def test_the_brand_profile_keeps_its_contacts_and_formats() -> None:
    profile, problems = BrandProfile.from_json_reporting(
        {
            "support_emails": ["hjelp@fjellform.example", "not an address"],
            "support_phones": ["+47 22 00 00 00"],
            "support_domains": ["fjellform.example"],
            "order_formats": ["FF-123456"],
        }
    )
    assert profile.support_emails == ()  # one bad entry: the whole setting keeps its default
    assert problems == [
        "support_emails: ['hjelp@fjellform.example', 'not an address'] is not valid "
        "(“not an address” is not an e-mail address); default kept"
    ]
    assert profile.order_formats == ("FF-123456",)
    assert BrandProfile.from_json(profile.to_json()) == profile


def test_a_form_without_the_contact_fields_keeps_the_saved_contacts() -> None:
    """The brand voice dialog of today has no contact fields: saving it keeps them."""
    saved = BrandProfile(name="Fjellform", support_phones=("+47 22 00 00 00",))
    form = BrandForm.of(saved)
    older_dialog = BrandForm(
        name="Fjellform AS", sign_off=form.sign_off, formality=form.formality,
        formality_by_language="", emoji=form.emoji, banned_phrases=form.banned_phrases,
        preferred_terms="", order_patterns=form.order_patterns, repetition_threshold=2,
    )  # fmt: skip
    assert older_dialog == form.__class__(**{**_fields(form), "name": "Fjellform AS"})
    profile = older_dialog.profile(kept=saved)
    assert profile.name == "Fjellform AS"
    assert profile.support_phones == ("+47 22 00 00 00",)
    edited = BrandForm(**{**_fields(form), "support_emails": "nope\nhjelp@fjellform.example"})
    with pytest.raises(BrandProfileRefused) as refused:
        edited.profile(kept=saved)
    assert [p.message for p in refused.value.problems] == [
        "Support e-mail, line 1: “nope” is not an e-mail address"
    ]


def _fields(form: BrandForm) -> dict[str, Any]:
    return {name: getattr(form, name) for name in form.__slots__}


def test_a_huge_hostile_post_is_read_quickly_and_safely() -> None:
    text = ("\u202e\u200b" + "9" * 40 + " Storgata " * 50) * 500 + " kari@example.no"
    found = pii.find(text)
    assert all(0 <= s.start < s.end <= len(text) for s in found)


# --- properties --------------------------------------------------------------------------------

_filler = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "Zs", "P"]), max_size=60
).map(lambda s: s.replace("@", " "))


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_spans_are_always_in_order_inside_the_text_and_apart(text: str) -> None:
    found = pii.find(text)
    previous_end = 0
    for span in found:
        assert previous_end <= span.start < span.end <= len(text)
        assert text[span.start : span.end] == span.text
        previous_end = span.end


@settings(max_examples=100, deadline=None)
@given(
    before=_filler,
    after=_filler,
    piece=st.sampled_from(
        [
            ("email", "ola.nordmann@example.no"),
            ("phone", "+47 912 34 567"),
            ("iban", "DE89 3704 0044 0532 0130 00"),
            ("card_number", "4012 8888 8888 1881"),
            ("national_id", "131052-308T"),
        ]
    ),
)
def test_personal_data_is_found_wherever_it_stands(
    before: str, after: str, piece: tuple[str, str]
) -> None:
    kind, value = piece
    # A semicolon keeps random letters from writing "ordine 4012…" (an order word) before it.
    text = f"{before}; {value} {after}"
    start = len(before) + 2
    found = [(s.type.value, s.start, s.end) for s in pii.find(text)]
    assert (kind, start, start + len(value)) in found


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["\u200b", "\u200d", "\u2060", "\u00ad", "\ufeff"]))
def test_invisible_characters_inside_a_number_do_not_hide_it(invisible: str) -> None:
    number = invisible.join("+4791234567")
    text = f"ring meg på {number} i kveld"
    [span] = pii.find(text)
    assert span.type is PiiType.PHONE
    assert span.text == number
