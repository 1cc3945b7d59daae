"""The brand's voice per workspace: name, sign-off, formality, emoji policy, phrases to avoid."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeVar

from storage.snippets import BrandProfileRepository

from app.analysis import pii


class EmojiPolicy(StrEnum):
    NONE = "none"  # never in replies
    SPARING = "sparing"  # one or two
    FREE = "free"


class Formality(StrEnum):
    CASUAL = "casual"  # du / tú
    FORMAL = "formal"  # Sie / usted


# Phrases that make a reply sound like a machine or a wall. Matched without case, with
# curly and straight apostrophes alike; the brand profile can add its own.
DEFAULT_BANNED_PHRASES: tuple[str, ...] = (
    # English
    "your message is very important to us",
    "your call is important to us",
    "please call our 800 number",
    "we're just the social media team",
    "we are just the social media team",
    "contact customer service",
    "contact our customer service",
    "we apologize for any inconvenience",
    "we apologise for any inconvenience",
    "sorry for any inconvenience caused",
    "thank you for reaching out",
    "thank you for your patience and understanding",
    "we value your feedback",
    "as per our policy",
    "please be advised",
    "we are unable to assist",
    "dear valued customer",
    # Norwegian (bokmål)
    "din henvendelse er viktig for oss",
    "vi beklager eventuelle ulemper",
    "beklager ulempene dette medfører",
    "kontakt kundeservice",
    "ta kontakt med kundeservice",
    "vi er bare sosiale medier-teamet",
    "takk for din henvendelse",
    "kjære kunde",
    # German
    "ihre nachricht ist uns sehr wichtig",
    "wir entschuldigen uns für etwaige unannehmlichkeiten",
    "wenden sie sich an den kundenservice",
    "wende dich an den kundenservice",
    "sehr geehrter kunde",
    # Spanish
    "su mensaje es muy importante para nosotros",
    "disculpe las molestias ocasionadas",
    "contacte con atención al cliente",
    "contacta con atención al cliente",
    "estimado cliente",
    # French
    "votre message est très important pour nous",
    "nous nous excusons pour la gêne occasionnée",
    "veuillez contacter le service client",
    "contactez le service client",
    "cher client",
)

# Order and ticket numbers when the brand has not said how it writes them: "FF-123456", and
# a number after an order or ticket word in any supported language ("ordre 4829133").
DEFAULT_ORDER_PATTERNS: tuple[str, ...] = pii.DEFAULT_ORDER_PATTERNS


@dataclass(frozen=True, slots=True)
class BrandProfile:
    name: str = "Our brand"
    sign_off: str = "– {agent.name}"
    formality: Formality = Formality.CASUAL
    # Per language where it differs, e.g. {"fr": "formal"}: a Norwegian brand says du in
    # German but vous in French.
    formality_by_language: dict[str, Formality] = field(default_factory=dict)
    emoji: EmojiPolicy = EmojiPolicy.SPARING
    banned_phrases: tuple[str, ...] = DEFAULT_BANNED_PHRASES
    # avoided term → the brand's term, e.g. "customer service" → "our team"
    preferred_terms: dict[str, str] = field(default_factory=dict)
    order_patterns: tuple[str, ...] = DEFAULT_ORDER_PATTERNS
    # Replies with the same text to this many other customers in a day sound like a robot.
    repetition_threshold: int = 2
    # What the brand publishes itself: never personal data, and sending a customer to one of
    # them in a public reply is a deflection ("call us on …").
    support_emails: tuple[str, ...] = ()
    support_phones: tuple[str, ...] = ()
    support_domains: tuple[str, ...] = ()
    # Order numbers as the brand writes them, as examples ("FF-123456"); the patterns are
    # derived from them (pii.order_pattern_from_example) and used beside order_patterns.
    order_formats: tuple[str, ...] = ()

    def contacts(self) -> pii.BrandContacts:
        """What the personal-data detector needs to know about the brand."""
        derived = tuple(pii.order_pattern_from_example(example) for example in self.order_formats)
        return _contacts(
            self.support_emails,
            self.support_phones,
            self.support_domains,
            tuple(dict.fromkeys(self.order_patterns + derived)),
        )

    def formality_for(self, language: str | None) -> Formality:
        return self.formality_by_language.get(language or "", self.formality)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for name in _LISTS:
            data[name] = list(getattr(self, name))
        data["formality"] = self.formality.value
        data["emoji"] = self.emoji.value
        data["formality_by_language"] = {k: v.value for k, v in self.formality_by_language.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BrandProfile:
        """Unknown keys are ignored and bad values fall back to the default, one by one."""
        return cls.from_json_reporting(data)[0]

    @classmethod
    def from_json_reporting(cls, data: dict[str, Any]) -> tuple[BrandProfile, list[str]]:
        """The profile, and what in `data` was ignored and why (for the person who wrote it)."""
        base = cls()
        values: dict[str, Any] = {}
        problems: list[str] = []
        names = {option.name for option in dataclasses.fields(cls)}
        problems += [f"unknown setting {key!r} ignored" for key in data if key not in names]
        for name in names & set(data):
            try:
                values[name] = _coerce(name, data[name])
            except (TypeError, ValueError, re.error) as error:
                problems.append(f"{name}: {data[name]!r} is not valid ({error}); default kept")
        return dataclasses.replace(base, **values), sorted(problems)


@lru_cache(maxsize=16)
def _contacts(
    emails: tuple[str, ...], phones: tuple[str, ...], domains: tuple[str, ...],
    patterns: tuple[str, ...],
) -> pii.BrandContacts:  # fmt: skip
    return pii.BrandContacts(emails, phones, domains, patterns)


_LISTS = (
    "banned_phrases", "order_patterns", "support_emails", "support_phones", "support_domains",
    "order_formats",
)  # fmt: skip


def check_list_item(name: str, item: str) -> None:
    """ValueError (saying why, for the person who typed it) when `item` is not valid in the
    list setting `name`."""
    if name == "order_patterns":
        re.compile(item)
    elif name == "order_formats":
        pii.order_pattern_from_example(item)
    elif name == "support_emails" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", item):
        raise ValueError(f"“{item}” is not an e-mail address")
    elif name == "support_phones" and sum(ch.isdigit() for ch in item) < 5:
        raise ValueError(f"“{item}” is not a phone number (it needs at least 5 digits)")
    elif name == "support_domains" and not re.fullmatch(
        r"(?:https?://)?(?:[\w-]+\.)+[a-z]{2,}/?", item.strip(), re.IGNORECASE
    ):
        raise ValueError(f"“{item}” is not a web domain (e.g. fjellform.example)")


def _coerce(name: str, raw: Any) -> Any:
    if name == "formality":
        return Formality(raw)
    if name == "emoji":
        return EmojiPolicy(raw)
    if name in _LISTS:
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            raise TypeError(name)
        for item in raw:
            check_list_item(name, item)
        return tuple(item.strip() for item in raw if item.strip())
    if name == "formality_by_language":
        if not isinstance(raw, dict):
            raise TypeError(name)
        return {str(key): Formality(value) for key, value in raw.items()}
    if name == "preferred_terms":
        if not isinstance(raw, dict):
            raise TypeError(name)
        return {str(key): str(value) for key, value in raw.items()}
    if name == "repetition_threshold":
        return max(1, int(raw))
    if not isinstance(raw, str):
        raise TypeError(name)
    return raw


# --- the profile as a person edits it: text fields, checked before anything is saved ----------

_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$", re.IGNORECASE)
_Choice = TypeVar("_Choice", Formality, EmojiPolicy)
_TERM_ARROWS = ("→", "->")
_LANGUAGE_SEPARATORS = (":", "=")


@dataclass(frozen=True, slots=True)
class BrandProblem:
    """One thing in the form that cannot be saved, said so the person can fix it."""

    setting: str  # the BrandProfile field
    message: str


class BrandProfileRefused(ValueError):
    def __init__(self, problems: list[BrandProblem]) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class BrandForm:
    """The brand profile as the brand voice dialog shows it: lists as one item per line,
    preferred terms as `avoid → say`, language overrides as `fr: formal`."""

    name: str
    sign_off: str
    formality: str
    formality_by_language: str
    emoji: str
    banned_phrases: str
    preferred_terms: str
    order_patterns: str
    repetition_threshold: int
    # The brand's own contacts and its order-number examples, one per line. None: this form
    # does not edit them (a dialog without those fields) and the saved values stay as they
    # are; left out of == so such a form still compares equal to the one it was shown.
    support_emails: str | None = field(default=None, compare=False)
    support_phones: str | None = field(default=None, compare=False)
    support_domains: str | None = field(default=None, compare=False)
    order_formats: str | None = field(default=None, compare=False)

    @classmethod
    def of(cls, profile: BrandProfile) -> BrandForm:
        return cls(
            name=profile.name,
            sign_off=profile.sign_off,
            formality=profile.formality.value,
            formality_by_language="\n".join(
                f"{language}: {formality.value}"
                for language, formality in sorted(profile.formality_by_language.items())
            ),
            emoji=profile.emoji.value,
            banned_phrases="\n".join(profile.banned_phrases),
            preferred_terms="\n".join(
                f"{term} → {better}" for term, better in profile.preferred_terms.items()
            ),
            order_patterns="\n".join(profile.order_patterns),
            repetition_threshold=profile.repetition_threshold,
            support_emails="\n".join(profile.support_emails),
            support_phones="\n".join(profile.support_phones),
            support_domains="\n".join(profile.support_domains),
            order_formats="\n".join(profile.order_formats),
        )

    def profile(self, kept: BrandProfile | None = None) -> BrandProfile:
        """The profile this form describes (settings the form does not edit come from `kept`);
        BrandProfileRefused lists every problem in it."""
        problems: list[BrandProblem] = []
        name = self.name.strip()
        if not name:
            problems.append(BrandProblem("name", "The brand needs a name."))
        formality = _choice(Formality, "formality", self.formality, problems)
        emoji = _choice(EmojiPolicy, "emoji", self.emoji, problems)
        by_language: dict[str, Formality] = {}
        for number, line in _numbered_lines(self.formality_by_language):
            language, value = _split(line, _LANGUAGE_SEPARATORS)
            if not _LANGUAGE.match(language) or value.casefold() not in set(Formality):
                problems.append(
                    BrandProblem(
                        "formality_by_language",
                        f"Formality per language, line {number}: “{line}” is not "
                        "“language: casual” or “language: formal” (e.g. “fr: formal”).",
                    )
                )
                continue
            by_language[language.lower()] = Formality(value.casefold())
        terms: dict[str, str] = {}
        for number, line in _numbered_lines(self.preferred_terms):
            term, better = _split(line, _TERM_ARROWS)
            if not term or not better:
                problems.append(
                    BrandProblem(
                        "preferred_terms",
                        f"Preferred terms, line {number}: “{line}” needs the word to avoid, "
                        "an arrow and the brand's word, e.g. “customer service → our team”.",
                    )
                )
                continue
            terms[term] = better
        patterns: list[str] = []
        for number, line in _numbered_lines(self.order_patterns):
            try:
                re.compile(line)
            except re.error as error:
                problems.append(
                    BrandProblem(
                        "order_patterns",
                        f"Order/ticket pattern, line {number}: “{line}” is not a valid "
                        f"regular expression ({error.msg} at position {error.pos}).",
                    )
                )
                continue
            patterns.append(line)
        if self.repetition_threshold < 1:
            problems.append(
                BrandProblem("repetition_threshold", "The repetition threshold is at least 1.")
            )
        kept = kept or BrandProfile()
        lists: dict[str, tuple[str, ...]] = {}
        for setting in ("support_emails", "support_phones", "support_domains", "order_formats"):
            lists[setting] = _checked_lines(setting, getattr(self, setting), kept, problems)
        if problems:
            raise BrandProfileRefused(problems)
        assert formality is not None
        assert emoji is not None
        return BrandProfile(
            name=name,
            sign_off=self.sign_off.strip(),
            formality=formality,
            formality_by_language=by_language,
            emoji=emoji,
            banned_phrases=tuple(
                dict.fromkeys(line for _, line in _numbered_lines(self.banned_phrases))
            ),
            preferred_terms=terms,
            order_patterns=tuple(patterns),
            repetition_threshold=self.repetition_threshold,
            **lists,
        )


_LIST_NAMES = {
    "support_emails": "Support e-mail",
    "support_phones": "Support phone",
    "support_domains": "Web domain",
    "order_formats": "Order number example",
}


def _checked_lines(
    setting: str, text: str | None, kept: BrandProfile, problems: list[BrandProblem]
) -> tuple[str, ...]:
    if text is None:
        return tuple(getattr(kept, setting))
    items: list[str] = []
    for number, line in _numbered_lines(text):
        try:
            check_list_item(setting, line)
        except (ValueError, re.error) as error:
            message = f"{_LIST_NAMES[setting]}, line {number}: {error}"
            problems.append(BrandProblem(setting, message))
            continue
        items.append(line)
    return tuple(dict.fromkeys(items))


def order_format_preview(text: str) -> list[str]:
    """What each order-number example in the form is understood as, one line each, for the
    dialog to show under the field as it is typed."""
    return [pii.describe_order_format(line) for _, line in _numbered_lines(text)]


def _numbered_lines(text: str) -> list[tuple[int, str]]:
    """The non-blank lines, stripped, with their 1-based line numbers."""
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def _split(line: str, separators: tuple[str, ...]) -> tuple[str, str]:
    for separator in separators:
        if separator in line:
            left, right = line.split(separator, 1)
            return left.strip(), right.strip()
    return line.strip(), ""


def _choice(
    kind: type[_Choice], setting: str, value: str, problems: list[BrandProblem]
) -> _Choice | None:
    try:
        return kind(value)
    except ValueError:
        options = ", ".join(member.value for member in kind)
        problems.append(BrandProblem(setting, f"{setting}: “{value}” is not one of {options}."))
        return None


class BrandService:
    def __init__(self, repository: BrandProfileRepository, default_name: str = "Our brand") -> None:
        self._repository = repository
        self._default_name = default_name

    def profile(self) -> BrandProfile:
        stored = self._repository.get()
        if stored is None:
            return BrandProfile(name=self._default_name)
        return BrandProfile.from_json(stored)

    def save(self, profile: BrandProfile) -> None:
        self._repository.put(profile.to_json())

    def save_form(self, form: BrandForm) -> BrandProfile:
        """Save what was edited in the brand voice dialog; BrandProfileRefused (nothing saved)
        when some of it is not valid."""
        profile = form.profile(kept=self.profile())
        self.save(profile)
        return profile
