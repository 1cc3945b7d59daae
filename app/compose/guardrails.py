"""Guardrails: what to check in a reply before it goes out, each finding explained in one line.

Pure functions over a ReplyContext, so the composer (live, as you type), the CLI and the
tests all get exactly the same findings. Blocking findings stop a send; the others advise.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import regex

from storage.records import Network
from storage.snippets import Snippet

from app.analysis import deflection, pii
from app.compose.brand import BrandProfile, EmojiPolicy, Formality
from app.compose.placeholders import unfilled_in
from app.compose.snippets import pick_variant
from app.networks.registry import max_length, network_info, post_length
from app.text import language


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # placeholder, length, pii, pii_in_mention, banned_phrase, language, ...
    message: str  # one line: what is wrong
    fix: str = ""  # one line: what to do about it ('' when there is nothing to suggest)
    blocking: bool = False

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind, "message": self.message, "fix": self.fix,
                "blocking": self.blocking}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReplyContext:
    text: str
    network: Network
    server_limit: int | None = None  # Mastodon: the server's limit as last synced
    direct: bool = False  # a private message: personal data is fine there
    mention_text: str = ""
    mention_language: str | None = None  # as the network reported it
    author_id: int | None = None  # the customer this reply answers
    # (body, author id) of replies queued today, for the repetition check
    sent_today: Sequence[tuple[str, int | None]] = field(default=())
    personal_data_confirmed: bool = False  # "yes, post it in public anyway"
    # The text as the network will receive it (Mastodon: with the author's @handle in front),
    # for counting; None when that is the text itself.
    posted_text: str | None = None
    # The brand's snippet library: a deflection finding offers a better sentence from it.
    snippets: Sequence[Snippet] = field(default=())


LanguageDetector = Callable[[str], str | None]

LANGUAGE_NAMES = {
    "en": "English", "nb": "Norwegian", "de": "German", "es": "Spanish", "fr": "French",
    "sv": "Swedish", "da": "Danish", "nl": "Dutch", "it": "Italian", "pt": "Portuguese",
    "fi": "Finnish", "pl": "Polish",
}  # fmt: skip


def check(
    context: ReplyContext,
    profile: BrandProfile,
    *,
    detect_language: LanguageDetector = language.detect,
) -> list[Finding]:
    """Every finding for this reply, blocking ones first."""
    findings: list[Finding] = []
    findings += unfilled_placeholders(context.text)
    findings += over_length(context)
    findings += personal_data(context, profile)
    banned = banned_phrases(context.text, profile)
    findings += merged_with_deflections(banned, context, profile, detect_language)
    findings += preferred_terms(context.text, profile)
    findings += emoji_policy(context.text, profile)
    findings += formality(context, profile, detect_language)
    findings += language_mismatch(context, detect_language)
    findings += repetition(context, profile)
    return sorted(findings, key=lambda finding: not finding.blocking)


def blocking(findings: Sequence[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.blocking]


# --- placeholders and length ---------------------------------------------------------------


def unfilled_placeholders(text: str) -> list[Finding]:
    left = list(dict.fromkeys(unfilled_in(text)))
    if not left:
        return []
    asks = [item for item in left if item.startswith("{?")]
    fix = (
        f"Fill in {', '.join(item[2:-1] for item in asks)}"
        if asks
        else "Replace it with the real value, or delete it"
    )
    return [
        Finding(
            "placeholder",
            f"Not filled in yet: {', '.join(left)}.",
            fix + ".",
            blocking=True,
        )
    ]


def over_length(context: ReplyContext) -> list[Finding]:
    limit = max_length(context.network, context.server_limit)
    posted = context.text if context.posted_text is None else context.posted_text
    length = post_length(context.network, posted.strip())
    if limit is None or length <= limit:
        return []
    network = network_info(context.network)
    return [
        Finding(
            "length",
            f"{length} {network.length.described}: {network.label} allows {limit} here.",
            f"Shorten it by {length - limit}, or move the details to a DM.",
            blocking=True,
        )
    ]


# --- personal data ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonalData:
    kind: str  # "e-mail address", "phone number", "order or ticket number", "street address", …
    text: str


def find_personal_data(
    text: str, order_patterns: Sequence[str], contacts: pii.BrandContacts | None = None
) -> list[PersonalData]:
    """Personal data in `text` (app.analysis.pii), with `order_patterns` as the brand's order
    and ticket number formats (or everything the brand profile says, as `contacts`)."""
    brand = contacts or pii.BrandContacts(order_patterns=tuple(order_patterns))
    return [PersonalData(span.label, span.text) for span in pii.find(text, brand)]


def personal_data(context: ReplyContext, profile: BrandProfile) -> list[Finding]:
    if context.direct:
        return []
    contacts = profile.contacts()
    findings: list[Finding] = []
    in_reply = find_personal_data(context.text, (), contacts)
    if in_reply and not context.personal_data_confirmed:
        kinds = ", ".join(dict.fromkeys(item.kind for item in in_reply))
        findings.append(
            Finding(
                "pii",
                f"This public reply contains personal data ({kinds}: {in_reply[0].text}).",
                "Switch to DM, or confirm it is fine to post it in public.",
                blocking=True,
            )
        )
    in_mention = find_personal_data(context.mention_text, (), contacts)
    if in_mention and not in_reply:
        kinds = ", ".join(dict.fromkeys(item.kind for item in in_mention))
        findings.append(
            Finding(
                "pii_in_mention",
                f"The customer posted personal data in public ({kinds}).",
                "Don't repeat it; ask for details in a DM (Switch to DM).",
            )
        )
    return findings


# --- the brand's voice ------------------------------------------------------------------------


def _fold(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").casefold()
    return " ".join(re.findall(r"[\w']+", text))


def banned_phrases(text: str, profile: BrandProfile) -> list[Finding]:
    folded = f" {_fold(text)} "
    return [
        Finding(
            "banned_phrase",
            f"“{phrase}” sounds like a form letter, not a person.",
            "Say it the way you would say it to a friend, and fix the problem here if you can.",
        )
        for phrase in profile.banned_phrases
        if _fold(phrase) and f" {_fold(phrase)} " in folded
    ]


def preferred_terms(text: str, profile: BrandProfile) -> list[Finding]:
    folded = f" {_fold(text)} "
    return [
        Finding("preferred_term", f"The brand says “{better}”, not “{term}”.", f"Write “{better}”.")
        for term, better in profile.preferred_terms.items()
        if _fold(term) and f" {_fold(term)} " in folded
    ]


# --- deflections and form letters --------------------------------------------------------------


def merged_with_deflections(
    banned: list[Finding],
    context: ReplyContext,
    profile: BrandProfile,
    detect: LanguageDetector,
) -> list[Finding]:
    """The banned-phrase findings and the deflection ones (app.analysis.deflection), one per
    sentence: where a banned phrase already flagged a deflecting sentence, that finding keeps
    its message and gains the better sentence as its fix."""
    contacts = profile.contacts()
    found = deflection.find(context.text, contacts)
    if not found:
        return banned
    language = language_of_reply(context, detect)
    texts = _snippet_texts(context.snippets, language, context.network)
    merged = list(banned)
    for item in found:
        sentence = context.text[item.start : item.end]
        if item.kind is not deflection.DeflectionKind.FORM_LETTER and _personal_contact(
            sentence, contacts
        ):
            continue  # "mail me at kari@example.com": the personal-data finding says it all
        better = deflection.better_sentence(item, texts, language, contacts)
        fix = f"Say instead: “{better}”"
        folded = f" {_fold(sentence)} "
        phrases = [p for p in profile.banned_phrases if _fold(p) and f" {_fold(p)} " in folded]
        overlapping = [
            number
            for number, finding in enumerate(merged)
            if finding.kind == "banned_phrase" and any(f"“{p}”" in finding.message for p in phrases)
        ]
        if overlapping:
            number = overlapping[0]
            merged[number] = dataclasses.replace(merged[number], fix=fix)
            continue
        kind = "form_letter" if item.kind is deflection.DeflectionKind.FORM_LETTER else "deflection"
        merged.append(Finding(kind, item.message(context.text), fix))
    return merged


def language_of_reply(context: ReplyContext, detect: LanguageDetector) -> str | None:
    return language.normalise(context.mention_language) or detect(context.text)


def _snippet_texts(
    snippets: Sequence[Snippet], language_code: str | None, network: Network
) -> list[str]:
    return [pick_variant(snippet, language_code, network).body for snippet in snippets]


def _personal_contact(sentence: str, contacts: pii.BrandContacts) -> bool:
    return any(
        span.type in (pii.PiiType.EMAIL, pii.PiiType.PHONE) for span in pii.find(sentence, contacts)
    )


_EMOJI = regex.compile(r"\p{Extended_Pictographic}")


def emoji_policy(text: str, profile: BrandProfile) -> list[Finding]:
    count = len(_EMOJI.findall(text))
    if profile.emoji is EmojiPolicy.NONE and count:
        return [Finding("emoji", "The brand's replies use no emoji.", "Remove the emoji.")]
    if profile.emoji is EmojiPolicy.SPARING and count > 2:
        return [
            Finding("emoji", f"{count} emoji: the brand uses them sparingly.", "Keep one or two.")
        ]
    return []


# How each language addresses one customer, informally and formally. English has no such
# distinction. Capitalised forms are only formal mid-sentence (German "Sie" also means "she").
_ADDRESS: dict[str, dict[Formality, tuple[str, re.Pattern[str]]]] = {
    "de": {
        Formality.CASUAL: ("du", re.compile(r"\b(?:du|dich|dir|dein(?:e[mnrs]?)?)\b", re.I)),
        Formality.FORMAL: (
            "Sie",
            re.compile(r"(?<![.!?:]\s)(?<!^)\b(?:Sie|Ihnen|Ihr(?:e[mnrs]?)?)\b"),
        ),
    },
    "fr": {
        Formality.CASUAL: ("tu", re.compile(r"\b(?:tu|toi|ton|tes)\b|\bt'(?=\w)", re.I)),
        Formality.FORMAL: ("vous", re.compile(r"\b(?:vous|votre|vos)\b", re.I)),
    },
    "es": {
        Formality.CASUAL: ("tú", re.compile(r"\b(?:tú|contigo|tus?|te|ti)\b", re.I)),
        Formality.FORMAL: ("usted", re.compile(r"\b(?:usted|ustedes)\b", re.I)),
    },
    "nb": {
        Formality.CASUAL: ("du", re.compile(r"\b(?:du|deg|din|ditt|dine)\b", re.I)),
        Formality.FORMAL: ("De", re.compile(r"(?<![.!?:]\s)(?<!^)\b(?:De|Dem|Deres)\b")),
    },
}


def formality(
    context: ReplyContext, profile: BrandProfile, detect: LanguageDetector
) -> list[Finding]:
    lang = detect(context.text) or language.normalise(context.mention_language)
    forms = _ADDRESS.get(lang or "")
    if forms is None:
        return []
    wanted = profile.formality_for(lang)
    other = Formality.FORMAL if wanted is Formality.CASUAL else Formality.CASUAL
    want_word, _ = forms[wanted]
    _, other_pattern = forms[other]
    found = other_pattern.search(context.text)
    if found is None:
        return []
    name = LANGUAGE_NAMES.get(lang or "", lang or "")
    return [
        Finding(
            "formality",
            f"The brand says “{want_word}” in {name}; this reply says “{found.group(0)}”.",
            f"Address the customer with “{want_word}”.",
        )
    ]


def language_mismatch(context: ReplyContext, detect: LanguageDetector) -> list[Finding]:
    theirs = language.normalise(context.mention_language) or (
        detect(context.mention_text) if context.mention_text else None
    )
    if theirs is None:
        return []
    ours = detect(context.text)
    if ours is None or ours == theirs:
        return []
    name = LANGUAGE_NAMES.get(theirs, theirs)
    return [
        Finding(
            "language",
            f"The customer wrote in {name}; this reply looks {LANGUAGE_NAMES.get(ours, ours)}.",
            f"Answer in {name}: pick the snippet's {name} variant, or rewrite it.",
        )
    ]


def _sameness(text: str) -> str:
    text = re.sub(r"@[\w.@-]+|https?://\S+", " ", text)
    return _fold(text)


def repetition(context: ReplyContext, profile: BrandProfile) -> list[Finding]:
    ours = _sameness(context.text)
    if len(ours.split()) < 6:  # "thanks so much!" twice is not a robot
        return []
    known: set[int] = set()
    unknown = 0  # replies to mentions no longer stored: each counts as one more customer
    for body, author in context.sent_today:
        if _sameness(body) != ours:
            continue
        if author is None:
            unknown += 1
        elif author != context.author_id:
            known.add(author)
    count = len(known) + unknown
    if count < profile.repetition_threshold:
        return []
    return [
        Finding(
            "repetition",
            f"The same text already went to {count} other customers today.",
            "Make it personal: use their name, and answer what they actually asked.",
        )
    ]
