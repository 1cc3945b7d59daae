"""Personal data in a post or a reply, by type and exact span (Python str indices).

Types: email, phone, order_number, booking_ref, iban (IBANs and domestic bank account
numbers), card_number, address, national_id. Numbers with check digits are only reported
when the check digits agree (python-stdnum, imported on the first candidate, not at start-up:
about 60 ms). What looks like personal data but is not stays quiet: prices, dates, times,
quantities, flight numbers, product codes, tracking links, discount codes, "card ending in
1234", @handles. The brand's own support e-mails, phone lines and web domains are never
personal data (a deflection guardrail cares about those instead).

Spans are found on a cleaned copy of the text (zero-width characters removed, other digits
read as 0-9, odd spaces as spaces) and mapped back, so a number split by an invisible
character is still found and its span covers exactly what the person sees.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

MAX_CHARS = 50_000  # a hostile 10 MB post is read up to here


class PiiType(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    ORDER_NUMBER = "order_number"
    BOOKING_REF = "booking_ref"
    IBAN = "iban"
    CARD_NUMBER = "card_number"
    ADDRESS = "address"
    NATIONAL_ID = "national_id"


LABELS: dict[PiiType, str] = {
    PiiType.EMAIL: "e-mail address",
    PiiType.PHONE: "phone number",
    PiiType.ORDER_NUMBER: "order or ticket number",
    PiiType.BOOKING_REF: "booking reference",
    PiiType.IBAN: "bank account number",
    PiiType.CARD_NUMBER: "card number",
    PiiType.ADDRESS: "street address",
    PiiType.NATIONAL_ID: "national identity number",
}


@dataclass(frozen=True, slots=True)
class PiiSpan:
    type: PiiType
    start: int
    end: int
    text: str

    @property
    def label(self) -> str:
        return LABELS[self.type]

    def as_json(self) -> dict[str, object]:
        return {"type": self.type.value, "start": self.start, "end": self.end}


# --- order-number formats ----------------------------------------------------------------------

# Words that announce an order or ticket number, in every supported language (also the start
# of compounds: ordrenummer, Bestellnummer, beställningsnummer).
ORDER_WORDS = (
    "order", "ordre", "ordren", "ordrenr", "bestilling", "bestillinga", "tinging", "beställning",
    "bestellung", "bestell", "bestell-nr", "auftrag", "commande", "cde", "pedido", "encomenda",
    "bestelling", "bestelnummer", "ordine", "zamówieni[ae]", "zamowieni[ae]", "ticket", "sak",
    "saken", "saksnummer", "ärende", "ärendenummer", "sag", "sagsnummer", "case", "claim",
    "reklamasjon", "reklamation", "caso", "zaak", "dossier", "pratica", "zgłoszeni[ae]",
    "incidencia", "faktura", "fakturanummer", "invoice", "rechnung", "facture", "factura",
    "fattura", "fatura", "número de pedido", "numéro de commande", "numero d'ordine",
    "numer zamówienia",
)  # fmt: skip
_NUMBER_LABELS = (
    r"number|nummer|numero|numéro|número|numer|num\.?|reference|referanse|referens|ref\.?|"
    r"no\.?|nr\.?|n[º°o]\.?|n\.|id|#"
)
# "bestillingen min (nr. 7712345)": a possessive may follow the order word.
_POSSESSIVE = (
    r"(?:\s+(?:my|min|mitt|mine|mi|mein|meine|meiner|mon|ma|mijn|mio|mia|minha|meu|moje|mój|"
    r"your|din|ditt|deine|dein|votre|ton|tu|su|je|uw|tuo|tua|teu|twoje|twój))?\s*\(?"
)
_NUMBER_LABEL = f"(?:{_NUMBER_LABELS})"
_LINKING = r"(?:is|er|är|ist|est|es|è|é|jest|was|var|war|era|=)"
_ORDER_WORD = r"(?<![\w-])(?:" + "|".join(ORDER_WORDS) + r")[\w-]{0,8}"
_ORDER_WORD_PREFIX = (
    f"(?i:{_ORDER_WORD}{_POSSESSIVE}(?:\\s*{_NUMBER_LABEL})?(?:\\s+{_LINKING})?\\s*[:#]?\\s*#?\\s*)"
)
_ORDER_WORD_PATTERN = (
    _ORDER_WORD_PREFIX + r"(?P<number>(?=[A-Za-z0-9-]*\d{4})[A-Za-z0-9][A-Za-z0-9-]{3,19})(?![\w-])"
)
# Prefix and digits as many shops write them ("FF-123456"), but not product or price codes.
_PREFIXED_PATTERN = r"\b(?!(?:SKU|ART|EAN|UPC|ISBN|ITEM|PROD|MOD|COL|REF)-)[A-Z]{2,4}-\d{5,10}\b"
DEFAULT_ORDER_PATTERNS: tuple[str, ...] = (_PREFIXED_PATTERN, _ORDER_WORD_PATTERN)


def order_pattern_from_example(example: str) -> str:
    """The regular expression for order numbers written like `example`: 'FF-123456' →
    `\\bFF-\\d{6}\\b`. Letters are kept (any case), digits become a digit count, other
    characters are kept as they are. Digits-only formats ('12345678') would match any
    number, so they only count after an order word. ValueError when it has no digit."""
    example = example.strip()
    if not any(ch.isdigit() for ch in example):
        raise ValueError(f"“{example}” has no digits: an order number example needs them")
    if len(example) > 40:
        raise ValueError("an order number example is at most 40 characters")
    parts: list[str] = []
    for run in re.finditer(r"\d+|[^\W\d_]+|\s+|.", example):
        text = run.group(0)
        if text.isdigit():
            parts.append(rf"\d{{{len(text)}}}")
        elif text.isalpha():
            parts.append(f"(?i:{re.escape(text)})")
        elif text.isspace():
            parts.append(r"\s?")
        else:  # only what regular expressions treat specially ("-" and "/" read as written)
            parts.append("\\" + text if text in ".^$*+?{}[]\\|()" else text)
    body = "".join(parts)
    if example.isdigit():
        return _ORDER_WORD_PREFIX + rf"(?P<number>{body})(?!\d)"
    left = r"\b" if example[0].isalnum() else r"(?<!\w)"
    right = r"\b" if example[-1].isalnum() else r"(?!\w)"
    return f"{left}{body}{right}"


def describe_order_format(example: str) -> str:
    """One line for the brand voice dialog: what an example is understood as."""
    try:
        pattern = order_pattern_from_example(example)
    except ValueError as error:
        return str(error)
    shape = re.sub(r"\d", "9", example.strip())
    where = " after an order word" if example.strip().isdigit() else ""
    return f"“{example.strip()}” → numbers shaped like {shape}{where} (pattern {pattern})"


# --- the brand's own contacts ------------------------------------------------------------------


def phone_digits(text: str) -> str:
    """A phone number as comparable digits: country code and trunk zero left out."""
    digits = re.sub(r"\D", "", text)
    if text.strip().startswith("+"):
        digits = _strip_country(digits)
    elif digits.startswith("00"):
        digits = _strip_country(digits[2:])
    return digits.lstrip("0")


def _strip_country(digits: str) -> str:
    for size in (3, 2, 1):
        if digits[:size] in _COUNTRY_LENGTHS:
            return digits[size:]
    return digits


@dataclass(frozen=True, slots=True)
class BrandContacts:
    """What the brand itself publishes (never personal data), and its order formats."""

    support_emails: tuple[str, ...] = ()
    support_phones: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()  # "fjellform.example": its web and e-mail domain
    order_patterns: tuple[str, ...] = DEFAULT_ORDER_PATTERNS
    compiled: tuple[re.Pattern[str], ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", tuple(_compile(p) for p in self.order_patterns))

    def is_own_email(self, address: str) -> bool:
        address = address.casefold()
        if address in {email.casefold().strip() for email in self.support_emails}:
            return True
        host = address.rsplit("@", 1)[-1]
        return any(_same_domain(host, domain) for domain in self.domains)

    def is_own_phone(self, number: str) -> bool:
        digits = phone_digits(number)
        return any(
            len(own) >= 5 and (digits == own or (len(digits) >= 8 and own.endswith(digits[-8:])))
            for own in (phone_digits(phone) for phone in self.support_phones)
        )

    def is_own_domain(self, host: str) -> bool:
        return any(_same_domain(host, domain) for domain in self.domains)


def _same_domain(host: str, domain: str) -> bool:
    host, domain = host.casefold().strip("."), domain.casefold().strip().strip(".")
    domain = re.sub(r"^(?:https?://)?(?:www\.)?", "", domain).split("/")[0]
    return bool(domain) and (host == domain or host.endswith("." + domain))


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


DEFAULT_CONTACTS = BrandContacts()


# --- the cleaned text --------------------------------------------------------------------------

_SPACES = {"\u00a0", "\u202f", "\u2007", "\u2009", "\u200a", "\u2002", "\u2003", "\u3000"}
_DASHES = {"\u2010", "\u2011", "\u2012"}  # hyphens people type inside numbers (not – or —)


_INVISIBLE = re.compile(
    r"[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)


@lru_cache(maxsize=1)
def _one_to_one() -> dict[int, str]:
    """Odd spaces → space, typed hyphens → -, every other script's digits → 0-9."""
    table = {ord(ch): " " for ch in _SPACES} | {ord(ch): "-" for ch in _DASHES}
    for code in range(0x80, 0x10000):
        ch = chr(code)
        if unicodedata.category(ch) == "Nd":
            table[code] = str(unicodedata.decimal(ch))
    return table


class _Clean:
    """The text as the patterns read it, with a map back to the original indices."""

    def __init__(self, text: str) -> None:
        self.original = text
        text = text[:MAX_CHARS]
        self._where: list[int] | None = None
        if text.isascii():
            self.text = text
            return
        if not _INVISIBLE.search(text) and not any(
            unicodedata.category(ch) == "Cf" for ch in text if not ch.isascii()
        ):
            self.text = text.translate(_one_to_one())  # same length: indices stay
            return
        chars: list[str] = []
        where: list[int] = []
        for index, ch in enumerate(text[:MAX_CHARS]):
            if ch in _SPACES:
                ch = " "
            elif ch in _DASHES:
                ch = "-"
            elif not ch.isascii():
                category = unicodedata.category(ch)
                if category == "Cf":  # zero-width, bidi controls, soft hyphen
                    continue
                if category == "Nd":
                    ch = str(unicodedata.decimal(ch))
            chars.append(ch)
            where.append(index)
        self.text = "".join(chars)
        self._where = where

    def span(self, start: int, end: int) -> tuple[int, int]:
        if self._where is None:
            return start, end
        return self._where[start], self._where[end - 1] + 1


# --- what is never personal data --------------------------------------------------------------

_URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/\S*")
_HANDLE = re.compile(r"(?<![\w@])@[\w.-]+(?:@[\w-]+(?:\.[\w-]+)+)?")
_CURRENCY_BEFORE = re.compile(
    r"(?i)(?:[€$£¥]|\b(?:kr|nok|sek|dkk|eur|usd|gbp|chf|pln|zł|zl|r\$)\.?)\s*$"
)
_UNIT_AFTER = re.compile(
    r"^\s*(?:[€$£%‰]|,-|(?-i:[gmlx])\b|(?i:(?:kr|nok|sek|dkk|eur|euro|euros|usd|gbp|chf|pln|zł|zl|"
    r"km|kg|cm|mm|ml|mb|gb|stk|pcs|pieces|ganger|gånger|gange|times|mal|fois|veces|volte|vezes|razy|"
    r"dager|dagar|dage|days|tage|jours|días|dagen|giorni|dias|dni|minutes|min|minutter|"
    r"minuter|minuten|minuti|minutos|minut|points|poeng|poäng|point|punkte|punten|punti|pontos|"
    r"punktów|followers|følgere)\b))"
)


def _excluded_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _URL.finditer(text)] + [m.span() for m in _HANDLE.finditer(text)]


# --- detectors ---------------------------------------------------------------------------------

_Candidate = tuple[PiiType, int, int]

_EMAIL = re.compile(r"(?<![\w.+@-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
_EMAIL_SPELLED = re.compile(
    r"(?i)(?<![\w.+@-])[\w.+-]+\s*[\[(]\s*(?:at|@|snabel-a|krøllalfa)\s*[\])]\s*[\w-]+"
    r"(?:\s*[\[(]\s*(?:dot|punkt|punto|point|\.)\s*[\])]\s*[\w-]+|\.[\w-]+)+"
)


def _emails(text: str, brand: BrandContacts) -> Iterator[_Candidate]:
    for pattern in (_EMAIL, _EMAIL_SPELLED):
        for match in pattern.finditer(text):
            address = match.group(0)
            if pattern is _EMAIL and brand.is_own_email(address):
                continue
            yield PiiType.EMAIL, match.start(), match.end()


_IBAN = re.compile(r"(?i)\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,32}")


def _ibans(text: str, brand: BrandContacts) -> Iterator[_Candidate]:
    for match in _IBAN.finditer(text):
        candidate = match.group(0)
        # The pattern runs on into the next word; the IBAN is the longest start that checks.
        ends = [i for i in range(len(candidate), 14, -1) if i == len(candidate) or
                candidate[i] == " " or not candidate[i - 1].isalpha()]  # fmt: skip
        for end in ends:
            compact = candidate[:end].replace(" ", "").upper()
            if _check(_iban_valid, compact):
                yield PiiType.IBAN, match.start(), match.start() + len(candidate[:end].rstrip())
                break


_DIGIT_RUN = re.compile(r"(?<![\w+/.,:-])(?:\d[ -]?){6,25}\d(?![\w/]|[.,]\d)")


def _groups(candidate: str) -> list[str]:
    return re.split(r"[ -]", candidate)


def _context_before(text: str, start: int, words: re.Pattern[str], reach: int = 40) -> bool:
    return bool(words.search(text[max(0, start - reach) : start]))


_TRACKING_WORDS = re.compile(
    r"(?i)(?:track|spor|spår|sendungs|suivi|seguimiento|rastreio|tracciamento|śledz|kolli|"
    r"shipment|forsendelse|zending|paket|parcel|pakke)\w*\W*(?:\w+\W+)?$"
)


def _cards(text: str, brand: BrandContacts) -> Iterator[_Candidate]:
    for match in _DIGIT_RUN.finditer(text):
        candidate = match.group(0)
        digits = re.sub(r"\D", "", candidate)
        if not 13 <= len(digits) <= 19 or digits[0] not in "23456" or len(set(digits)) < 2:
            continue
        groups = _groups(candidate)
        if len(groups) > 1 and not (
            all(len(g) == 4 for g in groups[:-1]) or [len(g) for g in groups] == [4, 6, 5]
        ):
            continue
        if _context_before(text, match.start(), _TRACKING_WORDS):
            continue
        if _luhn(digits):
            yield PiiType.CARD_NUMBER, match.start(), match.end()


def _luhn(digits: str) -> bool:
    total = 0
    for position, ch in enumerate(reversed(digits)):
        value = int(ch)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


_ID_WORDS = re.compile(
    r"(?i)(?:personnummer|personnr|person-?nr|fødselsnummer|fodselsnummer|fødselsnr|f\.?nr|"
    r"cpr|hetu|henkilötunnus|pesel|bsn|burgerservicenummer|sofinummer|steuer-?id|"
    r"identifikationsnummer|idnr|dni|nie|nif|codice fiscale|sécurité sociale|securite sociale|"
    r"sécu|nir|ssn|social security|national id|id number|identity number|id-nummer|"
    r"rijksregisternummer|cartão de cidadão|número de identificação|numer identyfikacyjny|"
    r"pps)\W*(?:\w+\W+){0,3}$"
)
_HETU = re.compile(r"(?i)\b\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]\b")
_CODICE_FISCALE = re.compile(r"(?i)\b[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]\b")
_DNI = re.compile(r"(?i)\b\d{8}-?[A-Z]\b")
_NIE = re.compile(r"(?i)\b[XYZ]-?\d{7}-?[A-Z]\b")
_PT_CC = re.compile(r"(?i)\b\d{8} ?\d ?[A-Z]{2}\d\b")
_SEPARATED_ID = re.compile(r"(?<![\w-])(?:19|20)?\d{6}[-+]\d{4}(?![\w-])")
_FR_NIR = re.compile(r"\b[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}\b")
_BE_NN = re.compile(r"\b\d{2}\.\d{2}\.\d{2}-\d{3}\.\d{2}\b")
_ELEVEN = re.compile(r"(?<![\w.,-])\d{6} ?\d{5}(?![\w-]|[.,]\d)")
_TWELVE = re.compile(r"(?<![\w.,-])(?:19|20)\d{10}(?![\w-]|[.,]\d)")
_CONTEXT_ID = re.compile(r"(?<![\w.,-])\d(?:[ .]?\d){6,10}(?![\w-]|[.,]\d)")


def _national_ids(text: str, brand: BrandContacts) -> Iterator[_Candidate]:
    checks: list[tuple[re.Pattern[str], Callable[[str], bool]]] = [
        (_HETU, _hetu_valid),
        (_CODICE_FISCALE, _codice_fiscale_valid),
        (_NIE, _nie_valid),
        (_DNI, _dni_valid),
        (_PT_CC, _pt_cc_valid),
        (_SEPARATED_ID, lambda v: _personnummer_valid(v) or _cpr_valid(v)),
        (_FR_NIR, _nir_valid),
        (_BE_NN, _be_nn_valid),
        (_ELEVEN, lambda v: _fodselsnummer_valid(v) or _pesel_valid(v) or _be_nn_valid(v)),
        (_TWELVE, _personnummer_valid),
    ]
    for pattern, valid in checks:
        for match in pattern.finditer(text):
            if _check(valid, match.group(0)):
                yield PiiType.NATIONAL_ID, match.start(), match.end()
    # Weak checks (one check digit, or none) only count where the post says what it is.
    for match in _CONTEXT_ID.finditer(text):
        if _context_before(text, match.start(), _ID_WORDS) and _check(
            lambda v: _bsn_valid(v) or _idnr_valid(v) or _personnummer_valid(v)
            or _cpr_valid(v) or _pps_valid(v) or _fodselsnummer_valid(v),
            match.group(0),
        ):  # fmt: skip
            yield PiiType.NATIONAL_ID, match.start(), match.end()


_ACCOUNT_WORDS = re.compile(
    r"(?i)(?:account|acct|kontonummer|kontonr|konto|bankkonto|rekening|rekeningnummer|"
    r"numéro de compte|compte bancaire|compte|rib|número de cuenta|cuenta|conto corrente|conto|"
    r"numero di conto|número de conta|conta|nib|numer konta|nr konta|rachunek|rachunku|"
    r"clearingnummer|clearing|reg\.? ?nr)\W*(?:\w+\W+){0,2}$"
)
_NO_ACCOUNT = re.compile(r"(?<![\w.,-])\d{4}[. ]\d{2}[. ]\d{5}(?![\w-]|[.,]\d)")
_ACCOUNT_DIGITS = re.compile(r"(?<![\w.,-])\d(?:[ .-]?\d){7,29}(?![\w-]|[.,]\d)")


def _accounts(text: str, brand: BrandContacts) -> Iterator[_Candidate]:
    for match in _NO_ACCOUNT.finditer(text):
        if _check(_kontonr_valid, match.group(0)):
            yield PiiType.IBAN, match.start(), match.end()
    for match in _ACCOUNT_DIGITS.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        polish = len(digits) == 26 and _check(_iban_valid, "PL" + digits)  # NRB: IBAN sans PL
        said = _context_before(text, match.start(), _ACCOUNT_WORDS) and 8 <= len(digits) <= 26
        if polish or said:
            yield PiiType.IBAN, match.start(), match.end()


def _orders(text: str, brand: BrandContacts) -> Iterator[_Candidate]:
    for pattern in brand.compiled:
        for match in pattern.finditer(text):
            group = "number" if "number" in pattern.groupindex else 0
            start, end = match.span(group)
            if end > start:
                yield PiiType.ORDER_NUMBER, start, end


BOOKING_WORDS = (
    "booking", "bookingnummer", "bookingnr", "bookingreferanse", "bookingreference",
    "bookingkode", "bookingkoden", "reservation", "reservationsnummer", "reservasjon",
    "reservasjonsnummer", "bestillingsreferanse", "referansenummer", "referanse", "bokning",
    "bokningsnummer", "bokningsreferens", "bokningskod", "referensnummer", "buchung",
    "buchungsnummer", "buchungscode", "buchungsreferenz", "buchungs-nr", "reservierung",
    "reservierungsnummer", "réservation", "reservation", "code de réservation",
    "référence", "reserva", "localizador", "código de reserva", "número de reserva",
    "referencia", "boeking", "boekingsnummer", "boekingscode", "reservering",
    "reserveringsnummer", "referentie", "prenotazione", "codice prenotazione",
    "codice di prenotazione", "numero di prenotazione", "riferimento", "código da reserva",
    "número da reserva", "referência", "rezerwacja", "rezerwacji", "numer rezerwacji",
    "kod rezerwacji", "confirmation number", "confirmation code", "pnr", "ref",
    "bekreftelseskode", "bekräftelsekod", "bestätigungscode", "bestätigungsnummer",
)  # fmt: skip
_REFERENCE_WORDS = re.compile(
    r"(?i)(?:ref|pnr|code|kode|kod|código|codice|localizador|referen\w*|riferimento)\W*$"
)
_BOOKING = re.compile(
    r"(?i:(?<![\w-])(?:" + "|".join(sorted(BOOKING_WORDS, key=len, reverse=True)) + r")"
    r"(?:\s*(?:code|kode|kod|código|codice|" + _NUMBER_LABELS + r"))?"
    r"(?:\s+" + _LINKING + r")?\s*[:#-]?\s*)"
    r"(?P<code>[A-Za-z0-9][A-Za-z0-9-]{4,11})(?![\w-])"
)
_FLIGHT = re.compile(r"^(?:[A-Z]{2}|[A-Z]\d|\d[A-Z])\d{1,4}[A-Z]?$")
_DATE_LIKE = re.compile(r"^\d{1,4}[./-]\d{1,2}(?:[./-]\d{1,4})?$")


def _bookings(text: str, brand: BrandContacts) -> Iterator[_Candidate]:
    for match in _BOOKING.finditer(text):
        code = match.group("code")
        if code.upper() != code or _DATE_LIKE.match(code):
            continue  # "booking was…", "booking 12-05"
        has_digit = any(ch.isdigit() for ch in code)
        if not has_digit and not (len(code) == 6 and code.isalpha()):
            continue
        if has_digit and sum(ch.isdigit() for ch in code) < 2 and len(code) < 6:
            continue
        prefix = match.group(0)[: match.start("code") - match.start()]
        if _FLIGHT.match(code) and not _REFERENCE_WORDS.search(prefix.strip(" :#-")):
            continue  # "booking SK4123" is a flight unless it says it is the reference
        yield PiiType.BOOKING_REF, match.start("code"), match.end("code")


# National significant number lengths of the countries Heedful's customers call from.
_COUNTRY_LENGTHS: dict[str, tuple[int, int]] = {
    "1": (10, 10), "7": (10, 10), "30": (10, 10), "31": (9, 9), "32": (8, 9), "33": (9, 9),
    "34": (9, 9), "36": (8, 9), "39": (6, 11), "40": (9, 9), "41": (9, 9), "43": (4, 13),
    "44": (9, 10), "45": (8, 8), "46": (7, 9), "47": (8, 8), "48": (9, 9), "49": (6, 13),
    "351": (9, 9), "352": (4, 11), "353": (7, 9), "354": (7, 9), "356": (8, 8), "357": (8, 8),
    "358": (5, 12), "359": (8, 9), "370": (8, 8), "371": (8, 8), "372": (7, 8), "385": (8, 9),
    "386": (8, 8), "420": (9, 9), "421": (9, 9), "298": (6, 6), "299": (6, 6),
}  # fmt: skip
_PHONE = re.compile(
    r"(?<![\w+/.,:#-])(?:\+|00)?(?:\(\d{1,4}\)[ -]?)?\d[\d ().-]{5,22}\d(?![\w/]|[.,]\d|-\d)"
)
_PHONE_WORDS = re.compile(
    r"(?i)(?:tlf|tel|telefon|telephone|téléphone|telefone|teléfono|telefono|telefoon|phone|"
    r"mobil|mobile|móvil|movil|cell|cellulare|handy|portable|gsm|komórk\w*|telemóvel|numer|"
    r"nummer|numero|número|numéro|number|ring|call|ruf|appel|llam|bel|chiam|lig|zadzwo|whatsapp|"
    r"sms|text me)\w*\W*(?:\w+\W+){0,3}$"
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")


def _phones(text: str, brand: BrandContacts) -> Iterator[_Candidate]:
    for match in _PHONE.finditer(text):
        start, end = match.span()
        candidate = match.group(0)
        while candidate and candidate[-1] in ").":  # "(+47 22 00 00 00)."
            if candidate[-1] == ")" and candidate.count("(") >= candidate.count(")"):
                break
            candidate, end = candidate[:-1], end - 1
        if candidate.count("(") != candidate.count(")"):
            if candidate.startswith("("):
                candidate, start = candidate[1:], start + 1
            else:
                continue
        if not _phone_shaped(candidate, text, start, end):
            continue
        if brand.is_own_phone(candidate):
            continue
        yield PiiType.PHONE, start, end


def _phone_shaped(candidate: str, text: str, start: int, end: int) -> bool:
    if _DATE_LIKE.match(candidate.replace(" ", "")) or _CURRENCY_BEFORE.search(text[:start]):
        return False
    international = candidate.startswith(("+", "00"))
    if not international and _UNIT_AFTER.match(text[end : end + 12]):
        return False
    if "." in candidate and not re.fullmatch(r"[+0-9]+(?:\.\d\d)+|\+?\d{1,4}(?:\.\d{2,4}){2,4}",
                                              candidate.replace(" ", "")):  # fmt: skip
        return False  # "1.299.00", "2.4.1"; French 06.12.34.56.78 is fine
    digits = re.sub(r"\D", "", candidate)
    groups = [g for g in re.split(r"[ ().-]+", candidate.lstrip("+")) if g]
    international = candidate.startswith("+") or (digits.startswith("00") and len(digits) > 9)
    if international:
        rest = digits[2:] if candidate.startswith("00") else digits
        for size in (1, 2, 3):
            country = rest[:size]
            if country in _COUNTRY_LENGTHS:
                national = rest[size:]
                if "(0)" in candidate.replace(" ", "") or national.startswith("0"):
                    national = national[1:]
                low, high = _COUNTRY_LENGTHS[country]
                return low <= len(national) <= high
        return 8 <= len(rest) <= 15
    if len(groups) == 2 and (
        all(_YEAR.match(g) for g in groups) or (_YEAR.match(groups[0]) and "-" in candidate)
    ):
        return False  # "2025 2026", "2026-0042"
    if _context_before(text, start, _ID_WORDS) or _context_before(text, start, _ACCOUNT_WORDS):
        return False  # "fødselsnummer 15108695077" with a wrong check digit is still no phone
    nearby = _context_before(text, start, _PHONE_WORDS)
    if digits.startswith("0"):
        if not 9 <= len(digits) <= 12:
            return False
        return len(groups) > 1 or nearby or len(digits) == 10
    sizes = [len(g) for g in groups]
    if len(digits) == 8:  # Norway, Denmark
        typical = sizes in ([3, 2, 3], [2, 2, 2, 2], [4, 4], [3, 5], [2, 3, 3])
        mobile = len(groups) == 1 and digits[0] in "49"
        return typical or mobile or nearby
    if len(digits) == 9:  # Spain, Portugal, Poland, Italy (landline)
        typical = sizes in ([3, 3, 3], [3, 2, 2, 2], [2, 3, 2, 2], [3, 6])
        mobile = len(groups) == 1 and digits[0] in "67"
        return (typical and digits[0] in "5679") or mobile or nearby
    if len(digits) == 10 and digits[0] == "3":  # Italian mobile
        return sizes in ([3, 3, 4], [3, 7], [10]) or nearby
    return nearby and 7 <= len(digits) <= 12


# Street addresses: street (+ number) (+ postcode and city), in several countries' orders.
_CAP = r"[A-ZÆØÅÄÖÜÉÈÁÍÓÚÑÇÃÕÂÊÔŁŚŻŹĆŃ]"
_NAME = _CAP + r"[\w'’.-]*"
_PARTICLE = r"(?:de|del|la|las|los|el|da|do|dos|das|di|della|dei|degli|delle|d'|du|des|le|l'|" \
    r"van|von|der|den|y|e|i)"  # fmt: skip
_NUMBER = r"\d{1,4}(?:\s?[A-Za-z](?![\w]))?(?:\s?(?:bis|ter)\b)?"
_SUFFIXES = (
    r"gata|gaten|gate|gatan|gt\.|veien|vegen|vei|veg|vn\.|vägen|väg|gränd|stigen|backen|torget|"
    r"torg|gade|vej|vænget|stræde|straße|strasse|str\.|weg|platz|allee|gasse|ring|damm|ufer|"
    r"straat|laan|gracht|plein|kade|singel|dijk|steeg|plass|plassen|plads|allé|alle|torv|stien|"
    r"bakken|brinken|lia|katu|tie|kuja"
)
_STANDALONE_SUFFIX = r"gate|gata|gatan|vei|veg|vej|gade|allé|plass|plads|torg|vägen|straße|weg"
_POSTCODE = (
    r"(?:,?\s*(?:[A-Z]{1,2}-)?(?:\d{4} ?[A-Z]{2}(?!\w)|\d{3} \d{2}|\d{2}-\d{3}|\d{4}-\d{3}|"
    r"\d{4,5})\s+" + _CAP + r"[\w'-]+(?:\s(?:[A-Z]{1,2}\b|" + _CAP + r"[\w'-]+))?"
    r"|,?\s*(?:" + _CAP + r"[\w'-]+,?\s+)?[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b)?"
)
_NOT_A_NUMBER_OF = (
    r"(?!\s*(?:%|kr\b|€|km\b|kg\b|min\b|minutt|minut|timer|hours|days|dager|dagar|stk|pcs|x\b|"
    r"ganger|times|mal\b|fois|veces|volte|razy|år|years|jahre|ans\b|años|anni|anos|lat\b))"
)
_ADDRESSES = (
    # Storgata 12, Kungsgatan 5, Hauptstraße 5, Kalverstraat 12, Karl Johans gate 5
    re.compile(
        r"(?<![\w-])(?:" + _NAME + r"\s+){0,2}"
        r"(?:"
        + _CAP
        + r"[\w'’-]*(?i:"
        + _SUFFIXES
        + r")|"
        + _NAME
        + r"s?\s+(?:"
        + _STANDALONE_SUFFIX
        + r"))\s+"
        + _NUMBER
        + _NOT_A_NUMBER_OF
        + r"\b"
        + _POSTCODE
    ),
    # 14 Baker Street, 221B Baker St., London NW1 6XE
    re.compile(
        r"(?<![\w.,-])\d{1,4}[A-Za-z]?,?\s+(?:" + _NAME + r"\s+){1,3}(?i:street|st\.|road|rd\.|"
        r"avenue|ave\.|lane|ln\.|drive|dr\.|close|crescent|terrace|place|way|court|ct\.|square|"
        r"sq\.|gardens|grove|row|mews|hill|walk|boulevard|blvd\.?)(?![\w])" + _POSTCODE
    ),
    # 12 rue de la Paix, 75002 Paris; 3, avenue Foch
    re.compile(
        r"(?<![\w.,-])\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?i:rue|avenue|av\.|boulevard|bd|place|"
        r"chemin|allée|impasse|quai|route|cours|square)\s+(?:"
        + _PARTICLE
        + r"\s*)*"
        + _NAME
        + r"(?:\s+(?:"
        + _PARTICLE
        + r"\s*)*"
        + _NAME
        + r"){0,3}"
        + _POSTCODE
    ),
    # Calle Mayor 12; C/ Alcalá, 45; Via Roma 10; Rua Augusta 100; ul. Marszałkowska 10
    re.compile(
        r"(?<![\w-])(?:(?i:calle|avenida|avda\.|paseo|carrer|camino|ronda|travesía|rua|travessa|"
        r"praça|estrada|alameda|ulica|ul\.|aleja|osiedle|viale|piazza|piazzale|vicolo)|Via|Plaza|"
        r"Pza\.|Corso|Largo|Av\.|Al\.|Pl\.|C/)\s*(?:(?:" + _PARTICLE + r"\s+)*" + _NAME + r"\s+)"
        r"{0,4}(?:"
        + _PARTICLE
        + r"\s+)*"
        + _NAME
        + r",?\s+(?:n[º°o]\.?\s*|nr\.?\s*)?"
        + _NUMBER
        + _NOT_A_NUMBER_OF
        + r"\b"
        + _POSTCODE
    ),
)


def _addresses(text: str, brand: BrandContacts) -> Iterator[_Candidate]:
    for pattern in _ADDRESSES:
        for match in pattern.finditer(text):
            start, end = match.span()
            while end > start and text[end - 1] in " ,":
                end -= 1
            yield PiiType.ADDRESS, start, end


# In priority order: a span taken by an earlier detector is not reported again.
_DETECTORS: tuple[Callable[[str, BrandContacts], Iterable[_Candidate]], ...] = (
    _emails, _ibans, _orders, _bookings, _cards, _national_ids, _accounts, _phones, _addresses,
)  # fmt: skip


def find(text: str, brand: BrandContacts = DEFAULT_CONTACTS) -> list[PiiSpan]:
    """Every piece of personal data in `text`, in order, none overlapping."""
    if not text or not any(ch.isdigit() or ch in "@[(" or ch.isupper() for ch in text):
        return []
    clean = _Clean(text)
    excluded = _excluded_spans(clean.text)
    taken: list[tuple[int, int]] = []
    found: list[PiiSpan] = []
    for detector in _DETECTORS:
        for kind, start, end in detector(clean.text, brand):
            if end <= start or _overlaps(start, end, taken):
                continue
            if kind is not PiiType.EMAIL and _overlaps(start, end, excluded):
                continue
            taken.append((start, end))
            first, last = clean.span(start, end)
            found.append(PiiSpan(kind, first, last, text[first:last]))
    return sorted(found, key=lambda span: span.start)


def _overlaps(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in spans)


# --- check digits (python-stdnum, imported when first needed) ----------------------------------


def _check(valid: Callable[[str], bool], value: str) -> bool:
    try:
        return valid(value)
    except Exception:  # stdnum raises its own errors on odd input: not a valid number
        return False


def _iban_valid(value: str) -> bool:
    from stdnum import iban

    return bool(iban.is_valid(value))


def _kontonr_valid(value: str) -> bool:
    from stdnum.no import kontonr

    return bool(kontonr.is_valid(value))


def _fodselsnummer_valid(value: str) -> bool:
    from stdnum.no import fodselsnummer

    return bool(fodselsnummer.is_valid(value))


def _personnummer_valid(value: str) -> bool:
    from stdnum.se import personnummer

    return bool(personnummer.is_valid(value))


def _cpr_valid(value: str) -> bool:
    from stdnum.dk import cpr

    digits = re.sub(r"\D", "", value)
    return len(digits) == 10 and bool(cpr.is_valid(digits))


def _hetu_valid(value: str) -> bool:
    from stdnum.fi import hetu

    return bool(hetu.is_valid(value))


def _codice_fiscale_valid(value: str) -> bool:
    from stdnum.it import codicefiscale

    return bool(codicefiscale.is_valid(value))


def _dni_valid(value: str) -> bool:
    from stdnum.es import dni

    return bool(dni.is_valid(value))


def _nie_valid(value: str) -> bool:
    from stdnum.es import nie

    return bool(nie.is_valid(value))


def _pt_cc_valid(value: str) -> bool:
    from stdnum.pt import cc

    return bool(cc.is_valid(value))


def _nir_valid(value: str) -> bool:
    from stdnum.fr import nir

    return bool(nir.is_valid(value))


def _be_nn_valid(value: str) -> bool:
    from stdnum.be import nn

    return bool(nn.is_valid(value))


def _pesel_valid(value: str) -> bool:
    from stdnum.pl import pesel

    return bool(pesel.is_valid(value))


def _bsn_valid(value: str) -> bool:
    from stdnum.nl import bsn

    return bool(bsn.is_valid(value))


def _idnr_valid(value: str) -> bool:
    from stdnum.de import idnr

    return bool(idnr.is_valid(value))


def _pps_valid(value: str) -> bool:
    from stdnum.ie import pps

    return bool(pps.is_valid(value))
