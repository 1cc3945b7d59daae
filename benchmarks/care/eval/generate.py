"""Assembles the care evaluation set from the hand-written posts in texts/: timings, ids, authors
and the personal data values (valid checksums, from python-stdnum), reproducibly (fixed seed).

    python benchmarks/care/eval/generate.py            writes posts.jsonl, labels.jsonl, spikes.json
    python benchmarks/care/eval/generate.py --stats    also prints the set's composition (Markdown)
    python benchmarks/care/eval/generate.py --check    exits 1 when the files on disk are stale

Every post's text is written by hand in texts/*.txt; this script only fills placeholders and
places posts in time. The format of texts/ is described in benchmarks/care/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import string
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.be import nn as be_nn
from stdnum.de import idnr as de_idnr
from stdnum.dk import cpr as dk_cpr
from stdnum.es import dni as es_dni
from stdnum.fi import hetu as fi_hetu
from stdnum.fr import nir as fr_nir
from stdnum.it import codicefiscale as it_cf
from stdnum.nl import bsn as nl_bsn
from stdnum.no import fodselsnummer as no_fnr
from stdnum.no import kontonr as no_kontonr
from stdnum.pl import pesel as pl_pesel
from stdnum.pt import cc as pt_cc
from stdnum.se import personnummer as se_pnr

HERE = Path(__file__).resolve().parent
TEXTS = HERE / "texts"
BRANDS = HERE / "brands"
SEED = 20260302
WEEK_START = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)  # a Monday
DAYS = 7

LANGUAGES = ("en", "nb", "nn", "sv", "da", "de", "fr", "es", "nl", "it", "pt", "pl", "fi")
SENTIMENTS = {"pos": "positive", "neg": "negative", "neu": "neutral", "mix": "mixed"}
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
# Each brand's own order or case number format, as in its profile under brands/.
ORDER_FORMATS = {
    "fjellform": "FF-######",
    "kvikknett": "KN########",
    "aerovia": "RC-#######",
    "solbank": "SOL-######",
}
# Background traffic by hour of day (UTC; the customers live at UTC+1/+2): quiet nights,
# a strong morning peak, a lunch bump and a long evening.
HOURLY = (
    0.15,
    0.1,
    0.1,
    0.1,
    0.2,
    0.6,
    2.6,
    3.2,
    2.8,
    1.6,
    1.3,
    1.5,
    1.7,
    1.3,
    1.2,
    1.3,
    1.6,
    1.8,
    1.7,
    1.5,
    1.3,
    1.0,
    0.6,
    0.3,
)


class SetError(ValueError):
    """A texts/ file that cannot be assembled: says where and why."""


# --- the hand-written texts ---------------------------------------------------------------


@dataclass
class Line:
    where: str  # file:line, for error messages
    language: str | None
    sentiment: str
    flags: dict[str, str]
    tags: list[str]
    template: str


@dataclass
class Block:
    kind: str  # background, peak, storm, burst, slow, chain
    attrs: dict[str, str]
    where: str
    lines: list[Line] = field(default_factory=list)


_LINE = re.compile(
    r"^(?P<lang>[a-z]{2}|\?)\s+(?P<sent>pos|neg|neu|mix)\s+(?P<flags>\S+)\s+\|\s(?P<text>.+)$"
)
_VALUED_FLAGS = ("t", "k", "brand", "cluster", "chain", "net")
_PLAIN_FLAGS = ("s", "dm", "reply")


def parse_texts(folder: Path = TEXTS) -> list[Block]:
    blocks: list[Block] = []
    for path in sorted(folder.glob("*.txt")):
        current: Block | None = None
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.name}:{number}"
            line = raw.rstrip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("@"):
                kind, *pairs = line[1:].split()
                if kind not in ("background", "peak", "storm", "burst", "slow", "chain"):
                    raise SetError(f"{where}: unknown block @{kind}")
                attrs = dict(pair.split("=", 1) for pair in pairs)
                current = Block(kind, attrs, where)
                blocks.append(current)
                continue
            match = _LINE.match(line)
            if match is None or current is None:
                raise SetError(f"{where}: not 'LANG SENT FLAGS | TEXT' inside a block: {line!r}")
            lang = match["lang"]
            if lang != "?" and lang not in LANGUAGES:
                raise SetError(f"{where}: unknown language {lang}")
            flags: dict[str, str] = {}
            tags: list[str] = []
            if match["flags"] != "-":
                for token in match["flags"].split(","):
                    name, _, value = token.partition(":")
                    if name in _VALUED_FLAGS and value:
                        flags[name] = value
                    elif name in _PLAIN_FLAGS and not value:
                        flags[name] = "yes"
                    else:
                        tags.append(token)
            current.lines.append(
                Line(
                    where,
                    None if lang == "?" else lang,
                    SENTIMENTS[match["sent"]],
                    flags,
                    tags,
                    match["text"].replace("\\n", "\n"),
                )
            )
    return blocks


# --- personal data values: valid ones, and look-alikes that fail their checksum -------------


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


def _birth(rng: random.Random) -> dt.date:
    return dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 52))


def _national_id(rng: random.Random, country: str) -> str:
    """A valid national identity number of `country`, formatted as people write it."""
    for _ in range(10_000):
        born = _birth(rng)
        if country == "no":
            base = f"{born:%d%m%y}" + (
                f"{rng.randrange(0, 500):03d}"
                if born.year < 2000
                else f"{rng.randrange(500, 1000):03d}"
            )
            first = no_fnr.calc_check_digit1(base)
            second = no_fnr.calc_check_digit2(base + first)
            number = base + first + second
            if len(number) == 11 and no_fnr.is_valid(number):
                return rng.choice([number, f"{number[:6]} {number[6:]}"])
        elif country == "se":
            base = f"{born:%y%m%d}" + _digits(rng, 3)
            number = base + luhn.calc_check_digit(base)
            text = f"{number[:6]}-{number[6:]}"
            if se_pnr.is_valid(text):
                return rng.choice([text, f"{born:%Y}{text[2:]}"])
        elif country == "dk":
            base = f"{born:%d%m%y}" + _digits(rng, 3)
            for last in string.digits:
                if dk_cpr.is_valid(base + last) and dk_cpr.checksum(base + last) == 0:
                    return f"{base[:6]}-{base[6:]}{last}"
        elif country == "fi":
            number = (
                f"{born:%d%m%y}"
                + ("-" if born.year < 2000 else "A")
                + f"{rng.randrange(2, 900):03d}"
            )
            number += fi_hetu._calc_checksum(number[:6] + number[7:])
            if fi_hetu.is_valid(number):
                return number
        elif country == "es":
            base = _digits(rng, 8)
            return base + es_dni.calc_check_digit(base)
        elif country == "it":
            letters = "".join(rng.choice("BCDFGHLMNPRSTVZ") for _ in range(6))
            months = "ABCDEHLMPRST"
            day = born.day + (40 if rng.random() < 0.5 else 0)
            town = rng.choice("ABCDEFGHL") + _digits(rng, 3)
            base = f"{letters}{born:%y}{months[born.month - 1]}{day:02d}{town}"
            number = base + it_cf.calc_check_digit(base)
            if it_cf.is_valid(number):
                return number
        elif country == "pl":
            month = born.month + (20 if born.year >= 2000 else 0)
            base = f"{born:%y}{month:02d}{born:%d}" + _digits(rng, 4)
            number = base + pl_pesel.calc_check_digit(base)
            if pl_pesel.is_valid(number):
                return number
        elif country == "nl":
            number = _digits(rng, 9)
            if number[0] != "0" and nl_bsn.is_valid(number):
                return number
        elif country == "de":
            number = _digits(rng, 11)
            if de_idnr.is_valid(number):
                return rng.choice([number, de_idnr.format(number)])
        elif country == "fr":
            base = f"{rng.choice('12')}{born:%y%m}{rng.randrange(1, 96):02d}{_digits(rng, 6)}"
            number = base + fr_nir.calc_check_digits(base)
            if fr_nir.is_valid(number):
                return fr_nir.format(number)
        elif country == "pt":
            base = (
                _digits(rng, 9)
                + rng.choice(string.ascii_uppercase)
                + rng.choice(string.ascii_uppercase)
            )
            number = base + pt_cc.calc_check_digit(base + "0")
            if pt_cc.is_valid(number):
                return pt_cc.format(number)
        elif country == "be":
            base = f"{born:%y%m%d}" + _digits(rng, 3)
            stem = ("2" + base) if born.year >= 2000 else base
            number = base + f"{97 - int(stem) % 97:02d}"
            if be_nn.is_valid(number):
                return f"{number[:2]}.{number[2:4]}.{number[4:6]}-{number[6:9]}.{number[9:]}"
        else:
            raise SetError(f"no national identity numbers for {country!r}")
    raise SetError(f"could not make a national identity number for {country}")


def national_id_is_valid(text: str) -> bool:
    """Whether `text` is a valid national identity number of any country this set uses."""
    return any(
        module.is_valid(text)
        for module in (
            no_fnr,
            se_pnr,
            dk_cpr,
            fi_hetu,
            es_dni,
            it_cf,
            pl_pesel,
            nl_bsn,
            de_idnr,
            fr_nir,
            pt_cc,
            be_nn,
        )
    )


def _bad_national_id(rng: random.Random, country: str) -> str:
    """Shaped like `country`'s national identity number, but its check digit is wrong."""
    for _ in range(100):
        good = _national_id(rng, country)
        if country == "dk":  # CPR numbers no longer carry a check digit: spoil the birth date
            return f"{good[:2]}{rng.randrange(13, 20)}{good[4:]}"
        # Valid under no country's rules (a Finnish number with a wrong check digit can be a
        # well-formed Danish one, which has none).
        position = max(i for i, ch in enumerate(good) if ch.isdigit())
        wrong = (
            good[:position]
            + str((int(good[position]) + rng.randrange(1, 10)) % 10)
            + good[position + 1 :]
        )
        if not national_id_is_valid(wrong):
            return wrong
    raise SetError(f"could not spoil a national identity number of {country}")


IBAN_BBAN = {  # country: length of the BBAN
    "NO": 11,
    "SE": 20,
    "DK": 14,
    "FI": 14,
    "DE": 18,
    "FR": 23,
    "ES": 20,
    "IT": 23,
    "NL": 14,
    "PT": 21,
    "PL": 24,
    "BE": 12,
    "GB": 18,
    "LU": 16,
    "AT": 16,
}


def _bban(rng: random.Random, country: str) -> str:
    if country == "NO":
        while True:
            number = _digits(rng, 10)
            number += no_kontonr._calc_check_digit(number)
            if no_kontonr.is_valid(number):
                return number
    if country == "NL":
        return "".join(rng.choice(string.ascii_uppercase) for _ in range(4)) + _digits(rng, 10)
    if country == "GB":
        return "".join(rng.choice(string.ascii_uppercase) for _ in range(4)) + _digits(rng, 14)
    if country == "IT":
        return rng.choice(string.ascii_uppercase) + _digits(rng, 22)
    return _digits(rng, IBAN_BBAN[country])


def _iban(rng: random.Random, country: str) -> str:
    for _ in range(1000):
        bban = _bban(rng, country)
        number = country + stdnum_iban.calc_check_digits(country + "00" + bban) + bban
        if stdnum_iban.is_valid(number):
            return rng.choice([stdnum_iban.format(number)] * 3 + [number])
    raise SetError(f"could not make an IBAN for {country}")


def _bad_iban(rng: random.Random, country: str) -> str:
    good = stdnum_iban.compact(_iban(rng, country))
    checks = int(good[2:4])
    wrong = good[:2] + f"{(checks + rng.randrange(1, 90)) % 97 + 2:02d}" + good[4:]
    if stdnum_iban.is_valid(wrong):
        return _bad_iban(rng, country)
    return stdnum_iban.format(wrong)


def _kontonummer(rng: random.Random) -> str:
    number = _bban(rng, "NO")
    return rng.choice(
        [
            f"{number[:4]}.{number[4:6]}.{number[6:]}",
            f"{number[:4]} {number[4:6]} {number[6:]}",
            number,
        ]
    )


CARD_PREFIXES = {
    "visa": ("4",),
    "mc": ("51", "52", "53", "54", "55", "2221", "2720"),
    "amex": ("34", "37"),
}


def _card(rng: random.Random, kind: str | None) -> str:
    kind = kind or rng.choice(["visa", "visa", "mc", "mc", "amex"])
    prefix = rng.choice(CARD_PREFIXES[kind])
    length = 15 if kind == "amex" else 16
    body = prefix + _digits(rng, length - len(prefix) - 1)
    number = body + luhn.calc_check_digit(body)
    assert luhn.is_valid(number)
    if kind == "amex":
        return rng.choice([f"{number[:4]} {number[4:10]} {number[10:]}", number])
    groups = " ".join(number[i : i + 4] for i in range(0, 16, 4))
    return rng.choice([groups, groups, groups.replace(" ", "-"), number])


def _bad_card(rng: random.Random) -> str:
    body = rng.choice(["4", "5", "6"]) + _digits(rng, 14)
    check = luhn.calc_check_digit(body)
    number = body + str((int(check) + rng.randrange(1, 10)) % 10)
    assert not luhn.is_valid(number)
    return " ".join(number[i : i + 4] for i in range(0, 16, 4))


PHONE_FORMATS = {
    "no": ["+47 9## ## ###", "9## ## ###", "4## ## ###", "+47 4#######", "9#######"],
    "se": ["070-### ## ##", "+46 70 ### ## ##", "073 ### ## ##", "+46 76 ### ## ##"],
    "dk": ["+45 2# ## ## ##", "2# ## ## ##", "3# ## ## ##", "+45 5#######"],
    "fi": ["+358 40 ### ####", "050 ### ####"],
    "de": ["+49 151 ########", "0151 ########", "0176 #######", "+49 30 #######"],
    "fr": ["06 ## ## ## ##", "+33 6 ## ## ## ##", "07 ## ## ## ##", "+33 7########"],
    "es": ["+34 6## ### ###", "6## ## ## ##", "6########"],
    "it": ["+39 3## ### ####", "3## #######", "+39 3#########"],
    "nl": ["06-########", "+31 6 ########", "06 ## ## ## ##"],
    "pt": ["+351 9## ### ###", "9## ### ###"],
    "pl": ["+48 5## ### ###", "5## ### ###", "+48 6########", "7## ###-###"],
    "gb": ["+44 7### ######", "07### ######"],
    "be": ["+32 4## ## ## ##", "04## ## ## ##"],
}


def _phone(rng: random.Random, country: str) -> str:
    return re.sub("#", lambda _: rng.choice(string.digits), rng.choice(PHONE_FORMATS[country]))


ADDRESSES = {  # streets, (postcode, city) pairs; "{n}" is the house number
    "no": (
        [
            "Storgata {n}",
            "Thorvald Meyers gate {n}",
            "Kirkeveien {n}B",
            "Bygdøy allé {n}",
            "Olav Tryggvasons gate {n}",
            "Strandgaten {n}",
            "Nedre Slottsgate {n}",
            "Fjellveien {n}",
        ],
        [
            ("0155", "Oslo"),
            ("0556", "Oslo"),
            ("5003", "Bergen"),
            ("7011", "Trondheim"),
            ("4006", "Stavanger"),
            ("9008", "Tromsø"),
            ("1606", "Fredrikstad"),
        ],
    ),
    "se": (
        [
            "Kungsgatan {n}",
            "Drottninggatan {n}",
            "Storgatan {n}",
            "Vasagatan {n}A",
            "Linnégatan {n}",
        ],
        [
            ("111 35", "Stockholm"),
            ("411 14", "Göteborg"),
            ("211 22", "Malmö"),
            ("753 20", "Uppsala"),
        ],
    ),
    "dk": (
        ["Vesterbrogade {n}", "Nørrebrogade {n}, 2. th.", "Jægergårdsgade {n}", "Østergade {n}"],
        [
            ("1620", "København V"),
            ("2200", "København N"),
            ("8000", "Aarhus C"),
            ("5000", "Odense C"),
        ],
    ),
    "de": (
        [
            "Hauptstraße {n}",
            "Bergmannstraße {n}",
            "Schillerstr. {n}",
            "Am Markt {n}",
            "Lindenallee {n}a",
        ],
        [
            ("10115", "Berlin"),
            ("10961", "Berlin"),
            ("80331", "München"),
            ("50667", "Köln"),
            ("20095", "Hamburg"),
        ],
    ),
    "fr": (
        [
            "{n} rue de la République",
            "{n} avenue Jean Jaurès",
            "{n} bis rue Nationale",
            "{n} boulevard Voltaire",
        ],
        [("69002", "Lyon"), ("75011", "Paris"), ("13001", "Marseille"), ("31000", "Toulouse")],
    ),
    "es": (
        [
            "Calle Mayor {n}",
            "Avenida de América {n}, 3º B",
            "Carrer de Mallorca {n}",
            "Calle Real {n}",
        ],
        [("28013", "Madrid"), ("08029", "Barcelona"), ("41004", "Sevilla"), ("46002", "Valencia")],
    ),
    "it": (
        ["Via Roma {n}", "Corso Vittorio Emanuele {n}", "Via Garibaldi {n}", "Viale Europa {n}"],
        [("00184", "Roma"), ("20121", "Milano"), ("10121", "Torino"), ("80133", "Napoli")],
    ),
    "nl": (
        ["Kerkstraat {n}", "Prinsengracht {n}-II", "Stationsweg {n}", "Dorpsstraat {n}"],
        [("1017 GC", "Amsterdam"), ("3511 AB", "Utrecht"), ("2511 CV", "Den Haag")],
    ),
    "pt": (
        ["Rua Augusta {n}", "Avenida da Liberdade {n}, 2º Esq.", "Rua de Santa Catarina {n}"],
        [("1100-053", "Lisboa"), ("1250-096", "Lisboa"), ("4000-442", "Porto")],
    ),
    "pl": (
        ["ul. Marszałkowska {n}", "ul. Długa {n}/4", "ul. Floriańska {n}", "al. Jerozolimskie {n}"],
        [("00-590", "Warszawa"), ("80-831", "Gdańsk"), ("31-019", "Kraków")],
    ),
    "gb": (
        ["{n} Elm Road", "{n} High Street", "Flat 3, {n} Victoria Street"],
        [("LS6 2AB", "Leeds"), ("M1 4BT", "Manchester"), ("EH1 1YZ", "Edinburgh")],
    ),
}


def _address(rng: random.Random, country: str) -> str:
    streets, places = ADDRESSES[country]
    street = rng.choice(streets).replace("{n}", str(rng.randrange(1, 120)))
    postcode, city = rng.choice(places)
    if country == "gb":
        return f"{street}, {city} {postcode}"
    return f"{street}, {postcode} {city}"


FIRST = {
    "en": "emma james olivia noah amelia jack grace harry chloe leo sophie oscar mia ethan",
    "nb": "kari ola ingrid lars silje magnus marte sindre nora jonas ida henrik thea eirik",
    "nn": "solveig torleiv gunnhild åsmund randi ivar sigrid håkon borghild eivind",
    "sv": "anna erik elin johan maja oskar linnea viktor ebba gustav saga axel",
    "da": "mette søren freja mads sofie rasmus ida kasper laura frederik emma mikkel",
    "de": "lena jonas mia lukas hannah felix lea paul anna maximilian sophie tim",
    "fr": "camille lucas chloé hugo léa louis manon gabriel inès arthur jade nathan",
    "es": "lucía pablo marta javier carmen diego elena sergio laura álvaro sara hugo",
    "nl": "sanne daan lotte bram fleur joris eva thijs anouk ruben lieke sem",
    "it": "giulia marco chiara luca francesca matteo sara alessandro elena davide",
    "pt": "inês joão beatriz tiago mariana rui catarina miguel sofia pedro ana diogo",
    "pl": "kasia piotr agnieszka tomasz magda paweł ola michał zofia jakub ewa marek",
    "fi": "aino eero liisa mikko",
}
SURNAMES = {
    "en": "smith taylor brown wilson evans walker wright hughes",
    "nb": "hansen johansen olsen larsen andersen nilsen berg haugen",
    "nn": "haugland myklebust tveit aasen nes bø",
    "sv": "andersson johansson karlsson nilsson eriksson lindqvist",
    "da": "jensen nielsen pedersen christensen rasmussen sørensen",
    "de": "müller schmidt schneider fischer weber wagner becker",
    "fr": "martin bernard dubois thomas robert richard petit",
    "es": "garcía fernández lópez martínez sánchez pérez gómez",
    "nl": "devries jansen bakker visser smit meijer",
    "it": "rossi russo ferrari esposito bianchi romano colombo",
    "pt": "silva santos ferreira pereira oliveira costa",
    "pl": "nowak kowalski wiśniewski wójcik kowalczyk kamiński",
    "fi": "korhonen virtanen mäkinen",
}
SERVERS = {
    "en": ["mastodon.example", "toot.example", "fediverse.example"],
    "nb": ["snakk.example", "nordlys.example"],
    "nn": ["fjord.example", "snakk.example"],
    "sv": ["mastodon.se.example", "tuta.example"],
    "da": ["mastodon.dk.example"],
    "de": ["troet.example", "chaos.example"],
    "fr": ["piaille.example", "pouet.example"],
    "es": ["tooteando.example"],
    "nl": ["mastodon.nl.example"],
    "it": ["mastodon.uno.example"],
    "pt": ["masto.pt.example"],
    "pl": ["pol.social.example"],
    "fi": ["mastodon.fi.example"],
}
EMAIL_DOMAINS = {
    "en": ["gmail.com", "outlook.com", "yahoo.co.uk", "icloud.com"],
    "nb": ["gmail.com", "hotmail.no", "online.no", "icloud.com"],
    "nn": ["gmail.com", "online.no"],
    "sv": ["gmail.com", "telia.se", "hotmail.se"],
    "da": ["gmail.com", "mail.dk", "hotmail.dk"],
    "de": ["gmx.de", "web.de", "t-online.de", "gmail.com"],
    "fr": ["orange.fr", "free.fr", "laposte.net", "gmail.com"],
    "es": ["gmail.com", "hotmail.es", "yahoo.es"],
    "nl": ["ziggo.nl", "gmail.com"],
    "it": ["libero.it", "gmail.com", "virgilio.it"],
    "pt": ["sapo.pt", "gmail.com"],
    "pl": ["wp.pl", "o2.pl", "gmail.com"],
    "fi": ["gmail.com"],
}
_ASCII = str.maketrans(
    {
        "æ": "ae",
        "ø": "o",
        "å": "a",
        "ä": "a",
        "ö": "o",
        "ü": "u",
        "é": "e",
        "è": "e",
        "á": "a",
        "í": "i",
        "ó": "o",
        "ú": "u",
        "ñ": "n",
        "ç": "c",
        "ã": "a",
        "õ": "o",
        "à": "a",
        "ì": "i",
        "ò": "o",
        "ą": "a",
        "ć": "c",
        "ę": "e",
        "ł": "l",
        "ń": "n",
        "ś": "s",
        "ź": "z",
        "ż": "z",
        "ß": "ss",
        "ê": "e",
        "ô": "o",
        "â": "a",
        "û": "u",
        "ï": "i",
        "ë": "e",
    }
)


def _ascii(text: str) -> str:
    return text.translate(_ASCII).replace(" ", "")


def _email(rng: random.Random, language: str) -> str:
    first = rng.choice(FIRST[language].split())
    last = rng.choice(SURNAMES[language].split())
    local = rng.choice(
        [
            f"{first}.{last}",
            f"{first}{last[0]}",
            f"{first}_{last}{rng.randrange(70, 99)}",
            f"{first[0]}{last}",
            f"{first}{rng.randrange(1, 2000)}",
        ]
    )
    return f"{_ascii(local)}@{rng.choice(EMAIL_DOMAINS[language])}"


def _booking(rng: random.Random) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    while True:
        code = "".join(rng.choice(alphabet + "23456789") for _ in range(6))
        if any(ch.isdigit() for ch in code) or rng.random() < 0.4:
            return code


def _order(rng: random.Random, brand: str, style: str | None) -> str:
    if style == "generic":
        return _digits(rng, 1).replace("0", "4") + _digits(rng, rng.choice([5, 6, 7]))
    return re.sub("#", lambda _: rng.choice(string.digits), ORDER_FORMATS[brand])


TRACKING = [
    "https://sporing.bring.no/sporing/{d17}",
    "https://www.postnord.se/track?id={d18}",
    "https://www.dhl.de/de/privatkunden/dhl-sendungsverfolgung.html?piececode={d20}",
    "https://t.17track.example/#nums=LX{d9}NO",
    "https://gls-group.example/track/{d11}",
]


def _tracking(rng: random.Random) -> str:
    template = rng.choice(TRACKING)
    return re.sub(r"\{d(\d+)\}", lambda m: _digits(rng, int(m.group(1))), template)


# --- filling one text ------------------------------------------------------------------------


@dataclass
class Span:
    type: str  # a PII type, or the kind of a hard negative
    start: int
    end: int
    text: str
    form: str = ""  # e.g. the country of an IBAN, for the composition table

    def label(self, key: str = "type") -> dict[str, Any]:
        data: dict[str, Any] = {
            key: self.type,
            "start": self.start,
            "end": self.end,
            "text": self.text,
        }
        if self.form:
            data["form"] = self.form
        return data


_PLACEHOLDER = re.compile(
    r"\{(?P<name>\w+)(?::(?P<arg>[\w-]+))?\}|<<(?P<kind>\w+):(?P<literal>.+?)>>"
)
NEGATIVE_KINDS = (
    "price",
    "date",
    "time",
    "flight_number",
    "product_code",
    "tracking_link",
    "discount_code",
    "card_ending",
    "brand_contact",
    "invalid_card",
    "invalid_iban",
    "invalid_national_id",
    "payment_reference",
    "quantity",
    "count",
    "seat",
    "gate",
    "version",
    "postcode_only",
    "account_alias",
)


def fill(
    template: str, brand: str, language: str | None, rng: random.Random, profile: dict[str, Any]
) -> tuple[str, list[Span], list[Span]]:
    """The text with its placeholders filled, its PII spans and its hard-negative spans."""
    out: list[str] = []
    pii: list[Span] = []
    negatives: list[Span] = []
    position = 0
    length = 0
    lang = language or "en"
    for match in _PLACEHOLDER.finditer(template):
        before = template[position : match.start()]
        out.append(before)
        length += len(before)
        position = match.end()
        name, arg = match["name"], match["arg"]
        value: str
        target: list[Span]
        kind: str
        form = ""
        if match["kind"]:
            value, kind, target = match["literal"], match["kind"], negatives
            if kind not in NEGATIVE_KINDS:
                raise SetError(f"unknown hard-negative kind {kind!r}")
        elif name == "email":
            value, kind, target = _email(rng, arg or lang), "email", pii
        elif name == "phone":
            value, kind, target, form = _phone(rng, arg or lang), "phone", pii, arg or lang
        elif name == "iban":
            value, kind, target, form = _iban(rng, arg or "NO"), "iban", pii, f"IBAN {arg}"
        elif name == "acct":
            value, kind, target, form = _kontonummer(rng), "iban", pii, "NO kontonummer"
        elif name == "card":
            value, kind, target, form = _card(rng, arg), "card_number", pii, arg or "any"
        elif name == "nid":
            value, kind, target, form = (
                _national_id(rng, arg or lang),
                "national_id",
                pii,
                arg or lang,
            )
        elif name == "order":
            value, kind, target = _order(rng, brand, arg), "order_number", pii
            form = "generic" if arg == "generic" else "brand format"
        elif name == "booking":
            value, kind, target = _booking(rng), "booking_ref", pii
        elif name == "address":
            value, kind, target, form = _address(rng, arg or lang), "address", pii, arg or lang
        elif name == "bad_card":
            value, kind, target = _bad_card(rng), "invalid_card", negatives
        elif name == "bad_iban":
            value, kind, target = _bad_iban(rng, arg or "DE"), "invalid_iban", negatives
        elif name == "bad_nid":
            value, kind, target = (
                _bad_national_id(rng, arg or lang),
                "invalid_national_id",
                negatives,
            )
        elif name == "card_end":
            value, kind, target = _digits(rng, 4), "card_ending", negatives
        elif name in ("support_phone", "support_email", "domain"):
            pool = {
                "support_phone": "support_phones",
                "support_email": "support_emails",
                "domain": "domains",
            }[name]
            choices = profile[pool]
            value = choices[int(arg) % len(choices)] if arg else rng.choice(choices)
            kind, target = "brand_contact", negatives
        elif name == "tracking":
            value, kind, target = _tracking(rng), "tracking_link", negatives
        else:
            raise SetError(f"unknown placeholder {match.group(0)!r}")
        target.append(Span(kind, length, length + len(value), value, form))
        out.append(value)
        length += len(value)
    out.append(template[position:])
    text = "".join(out)
    if "{" in text and re.search(r"\{\w+(:[\w-]+)?\}", text):
        raise SetError(f"placeholder left in {text!r}")
    return text, pii, negatives


# --- time, authors, assembly -----------------------------------------------------------------


def _background_time(
    rng: random.Random, first_day: int = 0, last_day: int = DAYS - 1
) -> dt.datetime:
    days = list(range(first_day, last_day + 1))
    day = rng.choices(days, weights=[0.7 if d in (5, 6) else 1.0 for d in days])[0]
    hour = rng.choices(range(24), weights=HOURLY)[0]
    return WEEK_START + dt.timedelta(days=day, hours=hour, seconds=rng.randrange(3600))


def _parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _offset(text: str) -> dt.timedelta:
    match = re.fullmatch(r"\+(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?", text)
    if match is None:
        raise SetError(f"bad offset {text!r} (e.g. +2d3h10m)")
    days, hours, minutes = (int(part or 0) for part in match.groups())
    return dt.timedelta(days=days, hours=hours, minutes=minutes)


class Authors:
    """Unique handles per network, in the language the person writes."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.taken: set[str] = set()

    def new(self, language: str | None, network: str) -> str:
        lang = language or "en"
        for attempt in range(1000):
            first = _ascii(self.rng.choice(FIRST[lang].split()))
            last = _ascii(self.rng.choice(SURNAMES[lang].split()))
            handle = self.rng.choice(
                [
                    f"{first}_{last[:1]}",
                    f"{first}{last}",
                    f"{first}.{last}",
                    f"{first}{self.rng.randrange(10, 99)}",
                    f"{last}{first[:1]}",
                    f"the_{first}",
                    f"{first}_on_{network}",
                ]
            )
            if attempt > 50:
                handle += str(attempt)
            if network == "mastodon":
                author = f"@{handle.replace('.', '_')}@{self.rng.choice(SERVERS[lang])}"
            elif network == "bluesky":
                author = f"{handle.replace('_', '-').replace('.', '-')}.bsky.social"
            else:
                author = f"@{handle.replace('.', '_')[:15]}"
            if author not in self.taken:
                self.taken.add(author)
                return author
        raise SetError("ran out of author handles")


@dataclass
class Post:
    brand: str
    network: str
    author: str
    created_at: dt.datetime
    kind: str
    text: str
    language: str | None
    sentiment: str
    sarcasm: bool
    pii: list[Span]
    negatives: list[Span]
    scenario: str
    tags: list[str]
    cluster: str | None
    group: tuple[str, str, str] | None  # the repeat group: (chain, brand, key)
    where: str
    id: str = ""
    repeat_of: str | None = None
    burst: int | None = None


def _network(rng: random.Random) -> str:
    return rng.choices(["mastodon", "bluesky", "x"], weights=[45, 35, 20])[0]


def assemble(blocks: list[Block], seed: int = SEED) -> tuple[list[Post], list[dict[str, Any]]]:
    rng = random.Random(seed)
    profiles = {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(BRANDS.glob("*.json"))
    }
    authors = Authors(rng)
    chains: dict[str, tuple[str, str]] = {}  # name -> (author, network)
    for block in blocks:
        if block.kind == "chain":
            name = block.attrs.get("name") or block.where
            if name in chains:
                raise SetError(f"{block.where}: chain {name} declared twice")
            network = block.attrs.get("net") or _network(rng)
            chains[name] = (authors.new(block.lines[0].language, network), network)
            block.attrs["name"] = name
    posts: list[Post] = []
    bursts: list[list[Post]] = []

    def make(
        block: Block,
        line: Line,
        when: dt.datetime,
        scenario: str,
        cluster: str | None,
        chain: str | None,
    ) -> Post:
        brand = line.flags.get("brand") or block.attrs["brand"]
        if brand not in profiles:
            raise SetError(f"{line.where}: no brand profile for {brand!r}")
        chain = line.flags.get("chain") or chain
        if chain is not None:
            if chain not in chains:
                raise SetError(f"{line.where}: unknown chain {chain}")
            author, network = chains[chain]
        else:
            network = line.flags.get("net") or _network(rng)
            author = authors.new(line.language, network)
        key = line.flags.get("k", "A")
        group = (chain, brand, key) if chain is not None and key != "-" else None
        cluster = line.flags.get("cluster") or cluster
        kind = "dm" if "dm" in line.flags else "reply" if "reply" in line.flags else "mention"
        if scenario == "storm":
            kind = "reply"
        text, pii, negatives = fill(line.template, brand, line.language, rng, profiles[brand])
        return Post(
            brand,
            network,
            author,
            when.replace(microsecond=0),
            kind,
            text,
            line.language,
            line.sentiment,
            "s" in line.flags,
            pii,
            negatives,
            scenario,
            line.tags,
            f"{brand}/{cluster}" if cluster else None,
            group,
            line.where,
        )

    for block in blocks:
        lines = block.lines
        if block.kind == "background":
            first = int(block.attrs.get("first_day", 0))
            last = int(block.attrs.get("last_day", DAYS - 1))
            for line in lines:
                posts.append(
                    make(block, line, _background_time(rng, first, last), "background", None, None)
                )
        elif block.kind in ("peak", "storm"):
            start = _parse_time(block.attrs["start"])
            minutes = float(block.attrs["minutes"])
            for line in lines:
                # A storm's replies come fast at first and then thin out; a peak is even.
                share = rng.random() ** (2.0 if block.kind == "storm" else 1.0)
                when = start + dt.timedelta(seconds=share * minutes * 60)
                posts.append(make(block, line, when, block.kind, None, None))
        elif block.kind == "burst":
            when = _parse_time(block.attrs["start"])
            members: list[Post] = []
            for index, line in enumerate(lines):
                if index:
                    low, high = (0.5, 3.5) if index < 3 else (1.0, 9.0)
                    when += dt.timedelta(seconds=rng.uniform(low, high) * 60)
                members.append(make(block, line, when, "burst", block.attrs["cluster"], None))
            posts += members
            bursts.append(members)
        elif block.kind == "slow":
            start = _parse_time(block.attrs["start"])
            spacing = float(block.attrs["hours"]) / max(1, len(lines) - 1)
            for index, line in enumerate(lines):
                jitter = rng.uniform(-0.2, 0.2) * spacing if 0 < index < len(lines) - 1 else 0
                when = start + dt.timedelta(
                    hours=index * spacing + jitter, seconds=rng.randrange(60)
                )
                posts.append(make(block, line, when, "slow", block.attrs["cluster"], None))
        elif block.kind == "chain":
            if block.attrs.get("start", "random") == "random":
                start = _background_time(rng, 0, int(block.attrs.get("last_start_day", 3)))
            else:
                start = _parse_time(block.attrs["start"])
            for line in lines:
                when = (
                    start
                    + _offset(line.flags.get("t", "+0d"))
                    + dt.timedelta(seconds=rng.randrange(300) if "t" in line.flags else 0)
                )
                posts.append(make(block, line, when, "chain", None, block.attrs["name"]))

    posts.sort(key=lambda post: post.created_at)  # stable: a block's order breaks ties
    for number, post in enumerate(posts, 1):
        post.id = f"e{number:04d}"
    roots: dict[tuple[str, str, str], str] = {}
    sizes = Counter(post.group for post in posts if post.group)
    for post in posts:
        if post.group and sizes[post.group] > 1:
            if post.group in roots:
                post.repeat_of = roots[post.group]
            else:
                roots[post.group] = post.id
    clusters = Counter(post.cluster for post in posts if post.cluster)
    lonely = [name for name, count in clusters.items() if count < 2]
    if lonely:
        raise SetError(f"clusters with one post: {lonely}")
    spikes: list[dict[str, Any]] = []
    for members in bursts:
        members.sort(key=lambda post: post.created_at)
        first, third = members[0], members[2]
        spikes.append(
            {
                "brand": first.brand,
                "cluster": first.cluster,
                "first_id": first.id,
                "first_at": _iso(first.created_at),
                "third_id": third.id,
                "third_at": _iso(third.created_at),
                "last_at": _iso(members[-1].created_at),
                "posts": len(members),
            }
        )
    return posts, spikes


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def post_json(post: Post) -> dict[str, Any]:
    return {
        "id": post.id,
        "brand": post.brand,
        "network": post.network,
        "author": post.author,
        "created_at": _iso(post.created_at),
        "kind": post.kind,
        "text": post.text,
    }


def label_json(post: Post) -> dict[str, Any]:
    return {
        "id": post.id,
        "brand": post.brand,
        "language": post.language,
        "sentiment": post.sentiment,
        "sarcasm": post.sarcasm,
        "pii": [span.label() for span in post.pii],
        "hard_negatives": [span.label("kind") for span in post.negatives],
        "repeat_of": post.repeat_of,
        "cluster": post.cluster,
        "scenario": post.scenario,
        "tags": post.tags,
        "source": post.where,
    }


def render(posts: list[Post], spikes: list[dict[str, Any]]) -> dict[str, str]:
    def lines(rows: list[dict[str, Any]]) -> str:
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)

    return {
        "posts.jsonl": lines([post_json(post) for post in posts]),
        "labels.jsonl": lines([label_json(post) for post in posts]),
        "spikes.json": json.dumps({"bursts": spikes}, ensure_ascii=False, indent=1) + "\n",
    }


def composition(posts: list[Post], spikes: list[dict[str, Any]]) -> str:
    """The set's make-up as Markdown tables, for the README."""

    def table(title: str, counts: Counter[str]) -> str:
        rows = " | ".join(f"{key} {value}" for key, value in sorted(counts.items()))
        return f"- **{title}**: {rows}"

    repeats = sum(post.repeat_of is not None for post in posts)
    return "\n".join(
        [
            f"- **posts**: {len(posts)} ({len({p.author for p in posts})} authors, "
            f"{len({p.brand for p in posts})} brands)",
            table("brand", Counter(p.brand for p in posts)),
            table("language", Counter(p.language or "null" for p in posts)),
            table("sentiment", Counter(p.sentiment for p in posts)),
            f"- **sarcasm**: {sum(p.sarcasm for p in posts)}",
            table("kind", Counter(p.kind for p in posts)),
            table("network", Counter(p.network for p in posts)),
            table("scenario", Counter(p.scenario for p in posts)),
            table("PII spans by type", Counter(s.type for p in posts for s in p.pii)),
            table(
                "PII forms", Counter(f"{s.type}:{s.form}" for p in posts for s in p.pii if s.form)
            ),
            table("hard negatives by kind", Counter(s.type for p in posts for s in p.negatives)),
            f"- **posts with PII**: {sum(bool(p.pii) for p in posts)}; **with hard negatives**: "
            f"{sum(bool(p.negatives) for p in posts)}",
            f"- **repeats** (posts with repeat_of): {repeats} in "
            f"{len({p.repeat_of for p in posts if p.repeat_of})} chains",
            table("tags", Counter(t for p in posts for t in p.tags)),
            f"- **clusters**: {len({p.cluster for p in posts if p.cluster})} "
            f"({sum(p.cluster is not None for p in posts)} posts); **bursts (expected alerts)**: "
            f"{len(spikes)}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--stats", action="store_true", help="print the composition")
    parser.add_argument("--check", action="store_true", help="fail when the files are stale")
    args = parser.parse_args(argv)
    posts, spikes = assemble(parse_texts())
    files = render(posts, spikes)
    if args.check:
        stale = [
            name
            for name, text in files.items()
            if not (HERE / name).exists() or (HERE / name).read_text(encoding="utf-8") != text
        ]
        if stale:
            print(f"stale: {', '.join(stale)} (run {Path(__file__).name})", file=sys.stderr)
            return 1
    else:
        for name, text in files.items():
            (HERE / name).write_text(text, encoding="utf-8")
    if args.stats:
        print(composition(posts, spikes))
    print(f"{len(posts)} posts, {len(spikes)} bursts", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
