"""Replies that send the customer away, shut the door or read like a form letter.

Not a list of phrases: each sentence is read for building blocks, in every supported language,
and a small scorer combines them. *Directives* ("please", "you can", "feel free to", an
imperative at the start), *contact verbs* ("contact", "call", "e-mail", "visit", "go to"),
*channels* (customer service, a phone line, a form, a store, another department, or a
concrete phone number, e-mail address or contact link), *third parties* (the courier, your
bank), *self-limits* ("only the social media team", "can't help with that here", "no access"),
*office hours*, *form-letter formulas* and *responsibility dodges*; and what cancels them:
the agent acting ("I've asked our Oslo store to call you today", "we'll contact you") or the
conversation staying here ("DM me", "write to me here").

A finding says which kind of deflection, why it hurts, and where (the sentence's span).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from app.analysis import concepts, pii
from app.analysis.concepts import Hit, Lexicon


class DeflectionKind(StrEnum):
    ELSEWHERE = "elsewhere"  # a phone line, e-mail, a form, a store, another department
    NOT_US = "not_us"  # "we're just the social media team", "we can't help with that here"
    OFFICE_HOURS = "office_hours"  # "our customer service is open Monday to Friday 9–17"
    PASSING_THE_BUCK = "passing_the_buck"  # "contact the courier", "not our responsibility"
    FORM_LETTER = "form_letter"  # "we apologise for any inconvenience caused"


WHY: Mapping[DeflectionKind, str] = {
    DeflectionKind.ELSEWHERE: "sends the customer elsewhere; they came here, often because the "
    "other channels failed",
    DeflectionKind.NOT_US: "says it isn't your job; to the customer, you are the brand",
    DeflectionKind.OFFICE_HOURS: "points to office hours; the customer is here now",
    DeflectionKind.PASSING_THE_BUCK: "passes the problem to someone else; own it and chase it "
    "for them",
    DeflectionKind.FORM_LETTER: "reads like a form letter, not a person",
}


@dataclass(frozen=True, slots=True)
class Deflection:
    kind: DeflectionKind
    start: int  # the sentence, as Python str indices of the reply
    end: int
    evidence: tuple[str, ...]  # the words that gave it away, as written in the reply
    score: float

    @property
    def why(self) -> str:
        return WHY[self.kind]

    def message(self, text: str) -> str:
        quoted = " … ".join(self.evidence[:3])
        return f"“{quoted}” {self.why}." if quoted else f"This {self.why}."


# --- building blocks, per language ----------------------------------------------------------------

_L = Mapping[str, Sequence[str]]

DIRECTIVE: _L = {
    "en": ["please", "kindly", "=pls", "=plz", "you can", "you could", "you may", "you should",
           "you must", "you need to", "you will need to", "youll need to", "youll have to",
           "you have to", "you might want to", "youll want to", "you want to", "youd better",
           "you may want to", "feel free to", "we recommend", "we suggest", "we advise",
           "we would ask", "we ask that you", "id recommend", "id suggest", "i recommend",
           "i suggest", "i would suggest", "best to", "your best bet", "best bet", "best option",
           "the best thing", "the best way", "the quickest way", "the easiest way",
           "do not hesitate", "dont hesitate", "simply", "=try", "just need to", "always"],
    "nb": ["vennligst", "vær så snill", "kan du", "du kan", "du må", "du bør", "du får",
           "ta gjerne", "gjerne", "anbefaler", "ber deg", "må du", "bør du", "prøv", "det beste er",
           "enklest er", "ikke nøl", "nøl ikke", "du ~ nesten"],
    "nn": ["ver så snill", "du kan", "du må", "du bør", "ta gjerne", "gjerne", "tilrår"],
    "sv": ["vänligen", "var snäll", "du kan", "du måste", "du bör", "kan du", "vi rekommenderar",
           "ber dig", "gärna", "prova", "det bästa är", "enklast är", "tveka inte"],
    "da": ["venligst", "du kan", "du skal", "du må", "du bør", "kan du", "vi anbefaler",
           "beder dig", "gerne", "prøv", "det bedste er", "nemmest er", "tøv ikke", "tøv ikke med"],
    "de": ["bitte", "sie können", "du kannst", "sie müssen", "du musst", "sie sollten",
           "du solltest", "wir empfehlen", "ich empfehle", "am besten", "gerne", "zögern sie nicht",
           "zögere nicht", "einfach"],
    "fr": ["veuillez", "merci de", "merci d", "vous pouvez", "tu peux", "vous devez", "tu dois",
           "nous vous invitons", "je vous invite", "nous vous recommandons", "je vous conseille",
           "nous vous conseillons", "n'hésitez pas", "hésitez pas", "il faut", "il vous faut",
           "le mieux est", "s'il vous plaît", "svp"],
    "es": ["por favor", "puedes", "puede usted", "podéis", "debes", "debe", "tienes que",
           "tiene que", "te recomendamos", "le recomendamos", "os recomendamos", "no dudes",
           "no dude", "le rogamos", "te rogamos", "te invitamos", "le invitamos", "lo mejor es",
           "lo más rápido es"],
    "nl": ["graag", "gelieve", "je kunt", "je kan", "u kunt", "je moet", "u moet", "we raden",
           "wij raden", "kun je", "kunt u", "neem gerust", "aarzel niet", "het beste is",
           "het snelst is", "=even"],
    "it": ["per favore", "per cortesia", "ti preghiamo", "la preghiamo", "puoi", "può", "potete",
           "devi", "deve", "ti consigliamo", "le consigliamo", "ti invitiamo", "la invitiamo",
           "non esitare", "non esiti", "la cosa migliore"],
    "pt": ["por favor", "podes", "pode", "deves", "deve", "tens de", "tem de", "tem que",
           "recomendamos", "aconselhamos", "convidamos", "não hesite", "não hesites", "o melhor é"],
    "pl": ["prosimy", "proszę", "możesz", "może pan", "może pani", "musisz", "należy", "zalecamy",
           "polecamy", "zachęcamy", "zapraszamy", "śmiało", "najlepiej"],
}  # fmt: skip

CONTACT: _L = {
    "en": ["contact", "=call", "=ring", "give us a ring", "give them a ring", "give us a call",
           "give them a call", "=phone", "e-mail", "=email", "=mail", "write to", "reach out to",
           "=reach", "get in touch", "get hold of", "speak to", "speak with", "talk to",
           "talk with", "visit", "go to", "head to", "head over to", "pop into", "pop in to",
           "drop by", "stop by", "swing by", "check with", "turn to", "direct your", "submit",
           "fill in", "fill out", "open a ticket", "raise a ticket", "log a ticket", "=ask",
           "send an email", "send an e-mail", "drop us an email", "drop us a line", "=use",
           "=using"],
    "nb": ["kontakt", "=ring", "=ringe", "send ~ e-post", "sende ~ e-post", "send ~ mail",
           "send en mail", "=mail", "=maile", "skriv til", "skrive til", "ta kontakt", "henvend",
           "besøk", "gå til", "gå innom", "stikk innom", "ta turen", "snakk med", "prat med",
           "fyll ut", "fylle ut", "=bruk", "benytt", "=spør", "spørre", "sjekk med",
           "ta det opp med"],
    "nn": ["kontakt", "=ring", "=ringje", "skriv til", "vend deg", "gå innom", "snakk med"],
    "sv": ["kontakta", "=ring", "=ringa", "mejla", "maila", "skicka ett mejl", "skicka ett mail",
           "skriv till", "vänd dig", "hör av dig", "besök", "gå till", "gå in på", "titta in",
           "prata med", "tala med", "fyll i", "använd", "=fråga", "ta upp det med"],
    "da": ["kontakt", "=ring", "=ringe", "skriv til", "send en mail", "henvend", "besøg", "gå til",
           "kig* forbi", "kig* ind", "tal med", "snak med", "udfyld", "=brug", "=spørg",
           "tage det op med"],
    "de": ["kontaktier", "=kontakt", "anrufen", "=ruf", "rufen sie", "schreib", "schreiben sie",
           "=mail", "e-mail", "melde dich", "melden sie sich", "wende dich", "wenden sie sich",
           "besuch", "geh ~ in", "geh ~ vorbei", "gehen sie", "geh ~ zu", "schau vorbei",
           "schauen sie", "vorbeikommen", "sprich mit", "sprechen sie", "füll", "nutze",
           "nutzen sie", "benutze", "verwende", "=frag", "fragen sie", "an den kundenservice",
           "an unseren kundenservice"],
    "fr": ["contacter", "contactez", "=contacte", "appeler", "appelez", "=appelle", "écrire",
           "écrivez", "=écris", "envoyer un mail", "envoyez", "adresser", "adressez", "rendez-vous",
           "rendre en", "rendre dans", "passer en", "passez", "joindre", "remplir", "remplissez",
           "demander", "demandez", "rapprocher", "rapprochez", "utilisez", "utiliser", "se rendre"],
    "es": ["contacta", "contactar", "contacte", "ponte en contacto", "póngase en contacto",
           "ponerse en contacto", "=llama", "llamar", "=llame", "escribe", "escribir", "=escriba",
           "envía un correo", "acude", "acudir", "=acuda", "dirígete", "diríjase", "visita",
           "visitar", "=ve a", "pásate", "rellena", "rellene", "=usa", "utiliza", "utilice",
           "pregunta", "consulta"],
    "nl": ["contact opnemen", "neem contact", "=bel", "bellen", "=mail", "mailen", "e-mailen",
           "schrijf", "stuur een mail", "stuur een e-mail", "ga naar", "langsgaan", "kom langs",
           "loop langs", "bezoek", "=vul", "invullen", "gebruik", "langs ~ gaan", "langs ~ komen",
           "=vraag"],
    "it": ["contatta", "contattare", "=contatti", "chiama", "chiamare", "=chiami", "scrivi",
           "scrivere", "=scriva", "manda una mail", "invia una mail", "rivolg*", "si rivolga",
           "utilizza", "recati", "recarsi", "si rechi", "visita", "passa in", "passa al", "compila",
           "chiedi"],
    "pt": ["contacta", "contactar", "contacte", "entre em contato", "entre em contacto",
           "entra em contacto", "=liga", "=ligar", "=ligue", "escreve", "escrever", "escreva",
           "envia um email", "envie um email", "dirige-te", "dirija-se", "visita", "visite",
           "=vai à", "passa na", "passe na", "preenche", "preencha", "utilize", "=usa", "pergunta"],
    "pl": ["skontaktuj", "skontaktować", "=kontakt", "zadzwoń", "zadzwonić", "napisz", "napisać",
           "wyślij maila", "wyślij e-mail", "zgłoś się", "zgłosić się", "zwróć się", "zwrócić się",
           "udaj się", "odwiedź", "wypełnij", "skorzystaj", "użyj", "zapytaj"],
}  # fmt: skip

CHANNEL: _L = {
    "en": ["customer service", "customer services", "customer support", "customer care",
           "support team", "our support", "=support", "help desk", "helpdesk", "hotline",
           "call centre", "call center", "contact centre", "contact center", "phone line",
           "our number", "the number", "=800", "toll free", "freephone", "contact form", "web form",
           "online form", "the form", "support page", "help centre", "help center", "=faq",
           "our website", "=website", "e-mail address", "email address", "live chat", "=chat",
           "chatbot", "=store", "=stores", "=shop", "=branch", "dealer", "retailer", "=outlet",
           "=local", "department", "=billing", "head office", "=office", "colleagues", "specialist",
           "the relevant team", "another team", "other team", "service centre", "whatsapp",
           "messenger", "telegram", "=sms", "=text line"],
    "nb": ["kundeservice", "kundesenter", "kundestøtte", "brukerstøtte", "=support", "sentralbord",
           "=telefon", "telefonnummer", "nummeret", "skjema", "kontaktskjema", "nettsiden",
           "hjemmesiden", "=e-post", "e-postadresse", "=chat", "chatten", "butikk", "nærmeste",
           "forhandler", "avdeling", "kontor", "kolleg", "sosiale medier"],
    "nn": ["kundeservice", "kundesenter", "butikk", "avdeling", "nettsida"],
    "sv": ["kundtjänst", "kundservice", "=support", "växel", "=telefon", "telefonnummer", "numret",
           "formulär", "kontaktformulär", "hemsidan", "webbplatsen", "=mejl", "=chatt", "butik",
           "närmaste", "återförsäljare", "avdelning", "kontor", "kolleg"],
    "da": ["kundeservice", "kundecenter", "=support", "=telefon", "telefonnummer", "nummeret",
           "formular", "kontaktformular", "hjemmesiden", "=mail", "=chat", "butik", "nærmeste",
           "forhandler", "afdeling", "kontor", "kolleg"],
    "de": ["kundenservice", "kundendienst", "kundensupport", "kundencenter", "=support", "hotline",
           "servicehotline", "=telefon", "telefonnummer", "=nummer", "formular", "kontaktformular",
           "webseite", "website", "e-mail-adresse", "=chat", "filiale", "=laden", "geschäft",
           "händler", "fachhändler", "abteilung", "=büro", "kolleg", "servicecenter", "zentrale"],
    "fr": ["service client", "service clients", "service clientèle", "=sav", "=support",
           "assistance", "hotline", "standard", "téléphone", "=numéro", "formulaire", "=site",
           "site internet", "adresse e-mail", "adresse mail", "=chat", "magasin", "boutique",
           "agence", "revendeur", "service compétent", "service concerné", "département",
           "collègues", "centre de service"],
    "es": ["atención al cliente", "servicio al cliente", "servicio de atención", "soporte", "línea",
           "teléfono", "=número", "formulario", "página web", "=web", "=correo", "=chat", "tienda",
           "sucursal", "distribuidor", "departamento", "compañeros", "oficina"],
    "nl": ["klantenservice", "klantendienst", "=support", "helpdesk", "telefoon", "=nummer",
           "formulier", "contactformulier", "website", "e-mailadres", "=chat", "winkel", "filiaal",
           "dealer", "afdeling", "collega", "kantoor"],
    "it": ["servizio clienti", "assistenza clienti", "assistenza", "supporto", "numero verde",
           "telefono", "=numero", "modulo", "=sito", "=email", "=chat", "negozio", "punto vendita",
           "rivenditore", "reparto", "ufficio", "colleghi"],
    "pt": ["apoio ao cliente", "serviço de apoio", "atendimento", "suporte", "=linha", "telefone",
           "=número", "formulário", "=site", "=email", "=chat", "=loja", "balcão", "revendedor",
           "departamento", "colegas"],
    "pl": ["obsługa klienta", "obsługi klienta", "biuro obsługi", "infolinia", "infolinię",
           "pomoc techniczna", "wsparcie", "=telefon", "=numer", "formularz", "stronę", "=e-mail",
           "=czat", "=sklep", "sklepu", "salon", "placówka", "oddział", "=dział", "działu"],
}  # fmt: skip

THIRD_PARTY: _L = {
    "en": ["courier", "carrier", "delivery company", "postal service", "post office", "your bank",
           "the bank", "card issuer", "manufacturer", "the seller", "marketplace", "=dhl", "=ups",
           "=dpd", "=gls", "=fedex", "=hermes", "royal mail", "=evri", "an post"],
    "nb": ["transportør", "budfirma", "=budet", "posten", "=bring", "postnord", "banken din",
           "banken", "produsent"],
    "sv": ["transportör", "budfirma", "postnord", "=posten", "din bank", "banken", "tillverkare"],
    "da": ["fragtfirma", "transportør", "postnord", "din bank", "banken", "producent"],
    "de": ["paketdienst", "zusteller", "versanddienst", "spediteur", "deutsche post", "deine bank",
           "ihre bank", "hersteller", "=hermes"],
    "fr": ["transporteur", "livreur", "la poste", "colissimo", "chronopost", "votre banque",
           "ta banque", "fabricant", "mondial relay"],
    "es": ["transportista", "mensajería", "empresa de mensajería", "correos", "=seur", "tu banco",
           "su banco", "fabricante"],
    "nl": ["vervoerder", "bezorger", "pakketdienst", "postnl", "je bank", "uw bank", "fabrikant"],
    "it": ["corriere", "poste italiane", "la tua banca", "sua banca", "produttore", "=brt", "=sda"],
    "pt": ["transportadora", "=ctt", "o teu banco", "o seu banco", "fabricante"],
    "pl": ["kurier", "firma kurierska", "poczta polska", "=inpost", "twój bank", "swój bank",
           "producent"],
}  # fmt: skip

THEY_HELP: _L = {
    "en": ["can help you", "will help you", "can help with", "can assist", "will assist",
           "will be happy to help", "will be glad to help", "are better placed", "is better placed",
           "best placed", "can sort", "can look into", "will be able to help",
           "will be able to assist", "can answer", "are the right people", "is the right place",
           "handles", "deal with", "can take care"],
    "nb": ["kan hjelpe deg", "hjelper deg", "kan svare", "kan bistå", "tar seg av", "kan ordne"],
    "nn": ["kan hjelpe deg", "hjelper deg"],
    "sv": ["kan hjälpa dig", "hjälper dig", "kan svara", "tar hand om", "kan ordna"],
    "da": ["kan hjælpe dig", "hjælper dig", "kan svare", "tager sig af"],
    "de": ["kann dir helfen", "kann ihnen helfen", "können dir helfen", "können ihnen helfen",
           "hilft dir", "hilft ihnen", "weiterhelfen", "kümmert sich", "zuständig"],
    "fr": ["pourra vous aider", "peut vous aider", "pourront vous aider", "vous aidera",
           "pourra t'aider", "s'en occupe", "s'occupe de", "est compétent"],
    "es": ["podrá ayudarte", "puede ayudarte", "podrá ayudarle", "puede ayudarle", "te ayudará",
           "le ayudará", "podrán ayudarte", "podrán ayudarle", "se encarga"],
    "nl": ["kan je helpen", "kan u helpen", "helpt je", "helpt u", "verder helpen",
           "kunnen je helpen", "kunnen u helpen"],
    "it": ["potrà aiutarti", "può aiutarti", "ti aiuterà", "la aiuterà", "potrà aiutarla",
           "se ne occupa", "è competente"],
    "pt": ["poderá ajudar", "pode ajudar", "vai ajudar", "podem ajudar", "trata disso"],
    "pl": ["pomoże", "może pomóc", "pomogą", "mogą pomóc", "zajmie się"],
}  # fmt: skip

SELF_LIMIT: _L = {
    "en": ["just the social media team", "only the social media team", "just social media",
           "only social media", "only the social team", "just the social team",
           "only the social media", "just the social media", "only handle social", "we only handle",
           "we dont handle", "we do not handle", "cant help with", "cannot help with",
           "cant help you with", "cannot help you with", "unable to help", "unable to assist",
           "cant assist", "cannot assist", "not able to help", "not able to assist", "no access to",
           "dont have access", "do not have access", "dont have visibility", "no visibility",
           "no way to see", "no insight into", "cant see your", "cannot see your", "cant access",
           "cannot access", "not our department", "not the right team", "not the right place",
           "not the right people", "outside our remit", "not something we can", "cant do anything",
           "cannot do anything", "not able to deal", "cant deal with"],
    "nb": ["bare sosiale medier", "kun sosiale medier", "bare some", "sosiale medier-teamet",
           "sosiale medier teamet", "some-teamet", "kan ~ ikke hjelpe", "kan ~ ikke bistå",
           "kan ~ ikkje hjelpe", "har ~ ikke tilgang", "har ~ ikkje tilgang", "ikke tilgang",
           "ikke vår avdeling", "kan ikke se ordren", "kan ikke se bestillingen",
           "kan ikke gjøre noe", "kan ikkje gjere noko", "ikke noe vi kan", "håndterer ikke"],
    "nn": ["berre sosiale medium", "kan ikkje hjelpe", "har ikkje tilgang"],
    "sv": ["bara sociala medier", "endast sociala medier", "sociala medier-teamet",
           "kan ~ inte hjälpa", "har ~ inte tillgång", "ingen tillgång", "inte vår avdelning",
           "kan inte se din", "kan inte göra något", "hanterar inte"],
    "da": ["kun sociale medier", "bare sociale medier", "sociale medier-teamet",
           "kan ~ ikke hjælpe", "har ~ ikke adgang", "ingen adgang", "ikke vores afdeling",
           "kan ikke se din", "kan ikke gøre noget", "håndterer ikke"],
    "de": ["nur das social-media-team", "nur das social media team", "nur social media",
           "social-media-team", "können ~ nicht helfen", "können ~ nicht weiterhelfen",
           "kann ~ nicht helfen", "kann ~ nicht weiterhelfen", "können ihnen nicht helfen",
           "können dir nicht helfen", "können ihnen hier nicht", "können dir hier nicht",
           "keinen zugriff", "keinen zugang", "nicht zuständig", "nicht unsere abteilung",
           "können nichts machen", "bearbeiten wir nicht"],
    "fr": ["que l'équipe réseaux sociaux", "équipe réseaux sociaux", "équipe des réseaux sociaux",
           "ne pouvons pas vous aider", "ne peux pas vous aider", "ne pouvons pas t'aider",
           "ne pouvons rien faire", "pas accès", "n'avons pas accès", "pas de notre ressort",
           "ne gérons pas", "ne traitons pas", "ne sommes pas habilités"],
    "es": ["solo el equipo de redes", "equipo de redes sociales", "solo redes sociales",
           "no podemos ayudarte", "no podemos ayudarle", "no puedo ayudarte", "no puedo ayudarle",
           "no tenemos acceso", "no tengo acceso", "sin acceso", "no es nuestro departamento",
           "no gestionamos", "no podemos hacer nada"],
    "nl": ["alleen het social media team", "social media team", "social-mediateam",
           "kunnen je niet helpen", "kunnen u niet helpen", "kan je niet helpen",
           "kan u niet helpen", "geen toegang", "niet onze afdeling", "kunnen hier niets",
           "behandelen wij niet"],
    "it": ["solo il team social", "team social", "social media team", "non possiamo aiutarti",
           "non possiamo aiutarla", "non posso aiutarti", "non posso aiutarla",
           "non abbiamo accesso", "non ho accesso", "non è di nostra competenza", "non gestiamo",
           "non possiamo fare nulla"],
    "pt": ["só a equipa de redes sociais", "equipa de redes sociais", "equipe de redes sociais",
           "não podemos ajudar", "não consigo ajudar", "não posso ajudar", "não temos acesso",
           "não tenho acesso", "não é da nossa competência", "não tratamos"],
    "pl": ["tylko zespół social media", "zespół social media", "nie możemy pomóc", "nie mogę pomóc",
           "nie mamy dostępu", "nie mam dostępu", "nie zajmujemy się", "nie obsługujemy"],
}  # fmt: skip

# Self-limits that never soften: being "only" a team is a statement about the brand.
IDENTITY_MARKERS = ("social", "some", "sociala", "sociale", "sociais", "redes", "réseaux")

OFFICE_HOURS: _L = {
    "en": ["office hours", "business hours", "opening hours", "working hours", "support hours",
           "monday to friday", "mon-fri", "mon fri", "weekdays", "on weekdays", "during the week",
           "=9am", "=9 am", "=5pm", "=5 pm", "9 to 5", "9-5", "back tomorrow", "back on monday",
           "next working day", "next business day"],
    "nb": ["åpningstid", "kontortid", "arbeidstid", "hverdager", "mandag til fredag",
           "mandag-fredag", "man-fre", "mellom kl", "neste virkedag", "i kontortiden"],
    "nn": ["opningstid", "kontortid", "kvardagar", "måndag til fredag"],
    "sv": ["öppettider", "kontorstid", "kontorstider", "vardagar", "måndag till fredag", "mån-fre",
           "mellan kl", "nästa vardag"],
    "da": ["åbningstid", "kontortid", "hverdage", "mandag til fredag", "man-fre", "næste hverdag"],
    "de": ["öffnungszeiten", "geschäftszeiten", "servicezeiten", "bürozeiten", "werktags",
           "montag bis freitag", "mo-fr", "mo bis fr", "nächsten werktag"],
    "fr": ["heures d'ouverture", "horaires d'ouverture", "heures de bureau", "jours ouvrés",
           "du lundi au vendredi", "en semaine", "prochain jour ouvré", "horaires"],
    "es": ["horario de atención", "horario de oficina", "horario comercial", "días laborables",
           "de lunes a viernes", "entre semana", "próximo día hábil", "horario"],
    "nl": ["openingstijden", "kantooruren", "maandag tot en met vrijdag", "maandag t/m vrijdag",
           "ma-vr", "ma t/m vr", "volgende werkdag"],
    "it": ["orari di apertura", "orario d'ufficio", "orari d'ufficio", "dal lunedì al venerdì",
           "giorno lavorativo", "orari"],
    "pt": ["horário de atendimento", "horário de expediente", "de segunda a sexta",
           "próximo dia útil", "horário"],
    "pl": ["godzinach pracy", "godziny pracy", "godziny otwarcia", "dni robocze",
           "od poniedziałku do piątku", "pon-pt", "następnego dnia roboczego"],
}  # fmt: skip

# Said of people and service (not of a shop's door): "only", "available", "back", "outside".
AVAILABILITY: _L = {
    "en": ["=only", "available", "=back", "outside", "reachable", "staffed", "answer", "respond",
           "reply"],
    "nb": ["=kun", "=bare", "tilgjengelig", "tilbake", "utenfor", "svarer", "betjent"],
    "nn": ["=berre", "tilgjengeleg", "svarar"],
    "sv": ["=bara", "endast", "tillgänglig", "tillbaka", "utanför", "svarar", "bemannad"],
    "da": ["=kun", "=bare", "tilgængelig", "tilbage", "uden for", "svarer"],
    "de": ["=nur", "erreichbar", "verfügbar", "=zurück", "außerhalb", "besetzt", "antworten"],
    "fr": ["uniquement", "seulement", "disponible", "de retour", "en dehors", "joignable",
           "répondons", "répondre"],
    "es": ["=solo", "solamente", "disponible", "volvemos", "fuera de", "respondemos", "responder"],
    "nl": ["alleen", "bereikbaar", "beschikbaar", "=terug", "buiten", "antwoorden"],
    "it": ["=solo", "soltanto", "disponibile", "torniamo", "fuori", "rispondiamo"],
    "pt": ["=só", "apenas", "disponível", "voltamos", "fora do", "respondemos"],
    "pl": ["tylko", "wyłącznie", "dostępni", "dostępny", "wracamy", "poza", "odpowiadamy"],
}  # fmt: skip

# Shops and branches have opening hours that are information, not a brush-off.
STORE_TERMS = frozenset(
    {"=store", "=stores", "=shop", "=branch", "=outlet", "butikk", "butik", "=laden",
     "geschäft", "filiale", "magasin", "boutique", "tienda", "sucursal", "winkel", "filiaal",
     "negozio", "punto vendita", "=loja", "=sklep", "sklepu", "salon", "=local", "nærmeste",
     "närmaste"}
)  # fmt: skip

# (term, weight): 1.0 on its own makes a form letter; weaker ones need company.
FORMULA: Mapping[str, Sequence[tuple[str, float]]] = {
    "en": [("message is ~ important", 1), ("call is ~ important", 1), ("request is ~ important", 1),
           ("thank you for contacting", 1), ("thanks for contacting", 1),
           ("thank you for your inquiry", 1), ("thank you for your enquiry", 1),
           ("thank you for your message", 0.5), ("thank you for reaching out", 0.5),
           ("thanks for reaching out", 0.5), ("thank you for your patience", 0.5),
           ("thank you for your feedback", 0.5), ("apologise for any inconvenience", 1),
           ("apologize for any inconvenience", 1), ("sorry for any inconvenience", 1),
           ("inconvenience ~ caused", 1), ("any inconvenience", 0.8), ("we value your", 0.8),
           ("valued customer", 1), ("dear customer", 1), ("please be advised", 1),
           ("please note that", 0.5), ("as per our policy", 1), ("in accordance with our", 0.8),
           ("we will look into", 0.5), ("we will get back to you", 0.5),
           ("get back to you as soon as possible", 0.8), ("as soon as possible", 0.3),
           ("at our earliest convenience", 1), ("do not hesitate", 0.5), ("dont hesitate", 0.5),
           ("we have received your", 1), ("has been forwarded", 0.8),
           ("forwarded ~ relevant department", 1), ("relevant department", 0.8),
           ("a member of our team will", 0.5), ("one of our agents will", 0.8),
           ("we understand your frustration", 0.5), ("we regret to inform", 1),
           ("kind regards", 0.3), ("best regards", 0.3), ("sincerely", 0.3)],
    "nb": [("takk for din henvendelse", 1), ("takk for henvendelsen", 1),
           ("henvendelse er viktig", 1), ("beklager eventuelle ulemper", 1),
           ("ulempene dette medfører", 1), ("ulemper dette medfører", 1), ("kjære kunde", 1),
           ("vi har mottatt din", 1), ("videresendt til", 0.8), ("rette avdeling", 0.8),
           ("så snart som mulig", 0.3), ("med vennlig hilsen", 0.3), ("vennlig hilsen", 0.3),
           ("takk for tålmodigheten", 0.5), ("i henhold til", 0.5)],
    "nn": [("takk for førespurnaden", 1), ("kjære kunde", 1), ("beklagar eventuelle ulemper", 1)],
    "sv": [("tack för ditt meddelande", 0.5), ("tack för att du kontaktar", 1),
           ("tack för att du kontaktat", 1), ("eventuella olägenheter", 1), ("kära kund", 1),
           ("vi har mottagit", 1), ("vidarebefordrat", 0.8), ("berörd avdelning", 0.8),
           ("så snart som möjligt", 0.3), ("med vänliga hälsningar", 0.3),
           ("ärende är viktigt", 1)],
    "da": [("tak for din henvendelse", 1), ("eventuelle gener", 1), ("kære kunde", 1),
           ("vi har modtaget", 1), ("videresendt", 0.8), ("rette afdeling", 0.8),
           ("hurtigst muligt", 0.3), ("med venlig hilsen", 0.3)],
    "de": [("danke für ihre nachricht", 0.5), ("vielen dank für ihre nachricht", 0.5),
           ("danke für ihre anfrage", 1), ("vielen dank für ihre anfrage", 1),
           ("nachricht ist uns ~ wichtig", 1), ("anliegen ist uns ~ wichtig", 1),
           ("entschuldigen sie die unannehmlichkeiten", 1), ("etwaige unannehmlichkeiten", 1),
           ("entstandenen unannehmlichkeiten", 1), ("sehr geehrte", 1),
           ("wir haben ihre ~ erhalten", 1), ("weitergeleitet", 0.8), ("zuständige abteilung", 0.8),
           ("zuständigen abteilung", 0.8), ("schnellstmöglich", 0.3),
           ("so schnell wie möglich", 0.3), ("mit freundlichen grüßen", 0.3)],
    "fr": [("merci pour votre message", 0.5), ("merci de nous avoir contactés", 1),
           ("message est ~ important", 1), ("excusons pour la gêne", 1), ("gêne occasionnée", 1),
           ("cher client", 1), ("chère cliente", 1), ("nous avons bien reçu", 1),
           ("transmis au service", 0.8), ("service concerné", 0.8),
           ("dans les plus brefs délais", 0.5), ("cordialement", 0.3)],
    "es": [("gracias por contactar", 1), ("gracias por ponerte en contacto", 1),
           ("gracias por tu mensaje", 0.5), ("gracias por su mensaje", 0.5),
           ("mensaje es ~ importante", 1), ("disculpe las molestias", 1),
           ("disculpa las molestias", 1), ("molestias ocasionadas", 1), ("estimado cliente", 1),
           ("hemos recibido su", 1), ("hemos recibido tu", 1), ("trasladado al departamento", 0.8),
           ("departamento correspondiente", 0.8), ("a la mayor brevedad", 0.5),
           ("lo antes posible", 0.3), ("un saludo cordial", 0.3), ("atentamente", 0.3)],
    "nl": [("bedankt voor je bericht", 0.5), ("bedankt voor uw bericht", 0.5),
           ("bedankt voor uw vraag", 0.5), ("excuses voor het ongemak", 1),
           ("eventuele ongemak", 1), ("beste klant", 1), ("geachte klant", 1),
           ("we hebben je bericht ontvangen", 1), ("wij hebben uw bericht ontvangen", 1),
           ("doorgestuurd naar", 0.8), ("betreffende afdeling", 0.8), ("zo snel mogelijk", 0.3),
           ("met vriendelijke groet", 0.3)],
    "it": [("grazie per averci contattato", 1), ("grazie per il tuo messaggio", 0.5),
           ("ci scusiamo per il disagio", 1), ("eventuali disagi", 1), ("gentile cliente", 1),
           ("abbiamo ricevuto la", 1), ("inoltrato al reparto", 0.8), ("reparto competente", 0.8),
           ("al più presto", 0.3), ("cordiali saluti", 0.3)],
    "pt": [("obrigado pelo contacto", 1), ("obrigado pelo contato", 1),
           ("obrigado pela sua mensagem", 0.5), ("pedimos desculpa pelo incómodo", 1),
           ("lamentamos o incómodo", 1), ("qualquer incómodo", 1), ("caro cliente", 1),
           ("prezado cliente", 1), ("recebemos a sua", 1), ("encaminhado para", 0.8),
           ("departamento responsável", 0.8), ("com a maior brevidade", 0.5),
           ("o mais breve possível", 0.3), ("com os melhores cumprimentos", 0.3),
           ("atenciosamente", 0.3)],
    "pl": [("dziękujemy za wiadomość", 0.5), ("dziękujemy za kontakt", 1),
           ("przepraszamy za utrudnienia", 1), ("wszelkie niedogodności", 1),
           ("szanowny kliencie", 1), ("szanowna pani", 1), ("szanowny panie", 1),
           ("otrzymaliśmy", 0.8), ("przekazaliśmy do działu", 1), ("właściwego działu", 0.8),
           ("najszybciej jak to możliwe", 0.3), ("z poważaniem", 0.3)],
}  # fmt: skip

NOT_OURS: _L = {
    "en": ["not our fault", "not our responsibility", "not responsible for", "out of our hands",
           "out of our control", "beyond our control", "up to the courier", "up to your bank",
           "take it up with", "nothing we can do", "nothing to do with us", "their responsibility",
           "the couriers responsibility", "the carriers responsibility"],
    "nb": ["ikke vår feil", "ikke vårt ansvar", "utenfor vår kontroll", "må ta det opp med",
           "ta det opp med", "ikke noe vi kan gjøre", "deres ansvar", "transportørens ansvar"],
    "nn": ["ikkje vår feil", "ikkje vårt ansvar"],
    "sv": ["inte vårt fel", "inte vårt ansvar", "utom vår kontroll", "utanför vår kontroll",
           "ta upp det med", "inget vi kan göra"],
    "da": ["ikke vores skyld", "ikke vores ansvar", "uden for vores kontrol", "tage det op med",
           "intet vi kan gøre"],
    "de": ["nicht unsere schuld", "nicht unser verschulden", "nicht verantwortlich",
           "liegt nicht bei uns", "außerhalb unserer kontrolle", "haben wir keinen einfluss",
           "keinen einfluss"],
    "fr": ["pas de notre faute", "pas notre faute", "pas responsables", "ne dépend pas de nous",
           "indépendant de notre volonté", "hors de notre contrôle"],
    "es": ["no es culpa nuestra", "no es nuestra culpa", "no somos responsables",
           "fuera de nuestro control", "ajeno a nosotros", "no depende de nosotros"],
    "nl": ["niet onze schuld", "niet verantwoordelijk", "buiten onze macht", "buiten onze invloed"],
    "it": ["non è colpa nostra", "non siamo responsabili", "fuori dal nostro controllo",
           "non dipende da noi"],
    "pt": ["não é culpa nossa", "não somos responsáveis", "fora do nosso controlo",
           "fora do nosso controle", "não depende de nós"],
    "pl": ["nie nasza wina", "nie odpowiadamy za", "poza naszą kontrolą", "nie mamy wpływu"],
}  # fmt: skip

# The agent doing the work: a contact verb after these is the brand acting, not the customer
# being sent away ("I'll call the courier", "I've asked our Oslo store to ring you").
AGENT_ACTS: _L = {
    "en": ["=ill", "=i will", "=ive", "i have", "=weve", "we have", "we will", "let me",
           "im going to", "=i am going to", "i just", "ive just", "ive asked", "ive passed",
           "ive forwarded", "i asked", "i passed", "i can", "i'd like to", "=id like to"],
    "nb": ["jeg skal", "jeg har", "vi har", "vi skal", "jeg ringer", "jeg sjekker", "jeg sender",
           "jeg tar", "jeg kan", "jeg vil", "eg skal", "eg har"],
    "nn": ["eg skal", "eg har", "eg ringjer", "vi har"],
    "sv": ["jag ska", "jag har", "vi har", "vi ska", "jag ringer", "jag kollar", "jag kan",
           "jag skickar"],
    "da": ["jeg skal", "jeg har", "vi har", "vi skal", "jeg ringer", "jeg tjekker", "jeg kan",
           "jeg sender"],
    "de": ["ich habe", "ich hab", "ich werde", "ich kümmere", "wir haben", "wir werden", "ich rufe",
           "ich schreibe", "ich kann", "ich schau", "ich frage"],
    "fr": ["je vais", "=jai", "je vous ai", "je t'ai", "nous allons", "nous avons", "je peux",
           "je m'en occupe", "je contacte", "j'appelle"],
    "es": ["voy a", "te he", "le he", "lo he", "ya he", "he enviado", "he escrito", "he pasado",
           "he hablado", "vamos a", "hemos", "yo me encargo", "puedo", "me encargo"],
    "nl": ["ik ga", "ik heb", "we gaan", "we hebben", "wij hebben", "ik kan", "ik bel", "ik stuur"],
    "it": ["ti ho", "le ho", "ho scritto", "ho inviato", "ho passato", "ho chiesto", "vado a",
           "abbiamo", "posso", "me ne occupo", "chiamo io"],
    "pt": ["=vou", "enviei", "liguei", "vamos", "já pedi", "posso", "eu trato"],
    "pl": ["zadzwonię", "sprawdzę", "wysłałem", "wysłałam", "napiszę", "zajmę się", "mogę"],
}  # fmt: skip

# Someone reaching out to the customer: a handover done right ("they'll call you today").
OUTREACH: _L = {
    "en": ["contact you", "call you", "ring you", "email you", "e-mail you", "reach out to you",
           "get in touch with you", "be in touch", "get back to you today", "phone you",
           "message you", "text you", "well be in touch"],
    "nb": ["kontakte deg", "kontakter deg", "ringe deg", "ringer deg", "tar kontakt med deg",
           "høre fra", "skrive til deg", "sende deg"],
    "nn": ["kontakte deg", "ringje deg", "høyre frå"],
    "sv": ["kontakta dig", "kontaktar dig", "ringa dig", "ringer dig", "höra av sig", "hör av sig",
           "höra från"],
    "da": ["kontakte dig", "kontakter dig", "ringe dig", "ringer dig", "høre fra"],
    "de": ["kontaktieren dich", "kontaktiert dich", "kontaktieren sie", "melden sich bei",
           "meldet sich bei", "rufen dich", "ruft dich", "rufen sie an", "von mir hören",
           "von uns hören", "dich anrufen", "sie anrufen", "sich bei dir", "sich bei ihnen"],
    "fr": ["vous contacter", "vous contactera", "vous contacteront", "vous appeler",
           "vous appellera", "te contacter", "t'appeler", "vous recontacter", "revenir vers vous"],
    "es": ["te contactará", "le contactará", "te contactarán", "te llamará", "te llamarán",
           "le llamará", "contactarte", "contactarle", "llamarte", "se pondrá en contacto",
           "se pondrán en contacto"],
    "nl": ["neemt contact met je op", "neemt contact met u op", "nemen contact met je op",
           "belt je", "belt u", "bellen je", "je bellen", "u bellen", "laat van zich horen"],
    "it": ["ti contatterà", "la contatterà", "ti contatteranno", "ti chiamerà", "ti chiameranno",
           "contattarti", "contattarla", "chiamarti"],
    "pt": ["vai contactá-lo", "vai contactar-te", "entrará em contacto", "entrarão em contacto",
           "vai ligar-te", "vai ligar-lhe", "contactar-te", "ligar-te"],
    "pl": ["skontaktuje się z", "skontaktują się z", "zadzwoni do", "zadzwonią do", "odezwie się",
           "odezwą się"],
}  # fmt: skip

# The conversation moves to a private message on this network: in-channel, done right.
IN_CHANNEL: _L = {
    "en": ["=dm", "=dms", "=dmd", "=dmed", "direct message", "private message", "=pm",
           "=inbox you"],
    "nb": ["=dm", "privat melding", "direktemelding", "innboksen din"],
    "nn": ["=dm", "privat melding"],
    "sv": ["=dm", "privat meddelande", "direktmeddelande"],
    "da": ["=dm", "privat besked"],
    "de": ["=dm", "direktnachricht", "privatnachricht", "=pn"],
    "fr": ["=dm", "message privé", "=mp", "en privé"],
    "es": ["=dm", "mensaje privado", "=md", "por privado"],
    "nl": ["=dm", "privébericht", "=pb"],
    "it": ["=dm", "messaggio privato", "in privato"],
    "pt": ["=dm", "mensagem privada", "em privado"],
    "pl": ["=dm", "prywatną wiadomość", "wiadomości prywatnej", "na priv"],
}  # fmt: skip

# This thread ("write to me here"). Weak: "we can't help with that here" says it too.
HERE: _L = {
    "en": ["=here", "this thread", "in thread"], "nb": ["=her", "i tråden"], "nn": ["=her"],
    "sv": ["=här", "i tråden"], "da": ["=her", "i tråden"], "de": ["=hier"], "fr": ["=ici"],
    "es": ["=aquí", "por aquí"], "nl": ["=hier"], "it": ["=qui"], "pt": ["=aqui"],
    "pl": ["=tutaj"],
}  # fmt: skip

# "Contact us": the brand, as the place to go (Spanish and Italian attach it: contáctanos).
US: _L = {
    "en": ["=us"], "nb": ["=oss"], "nn": ["=oss"], "sv": ["=oss"], "da": ["=os"],
    "de": ["=uns"], "fr": ["=nous"], "es": ["=nos"], "nl": ["=ons"], "it": ["=ci"],
    "pt": ["=nos"], "pl": ["=nami"],
}  # fmt: skip
_ATTACHED_US = ("nos", "ci")


def _terms(label: str, table: _L) -> Iterable[tuple[str, str]]:
    return ((label, term) for terms in table.values() for term in terms)


@lru_cache(maxsize=1)
def _lexicon() -> Lexicon:
    terms: list[tuple[str, str]] = []
    for label, table in (
        ("directive", DIRECTIVE), ("contact", CONTACT), ("channel", CHANNEL),
        ("third_party", THIRD_PARTY), ("they_help", THEY_HELP), ("self_limit", SELF_LIMIT),
        ("office_hours", OFFICE_HOURS), ("availability", AVAILABILITY), ("not_ours", NOT_OURS),
        ("agent_acts", AGENT_ACTS), ("outreach", OUTREACH), ("in_channel", IN_CHANNEL),
        ("here", HERE), ("us", US),
    ):  # fmt: skip
        terms += _terms(label, table)
    return Lexicon(terms)


@lru_cache(maxsize=1)
def _formulas() -> tuple[Lexicon, dict[str, float]]:
    weights = {term: weight for table in FORMULA.values() for term, weight in table}
    return Lexicon((term, term) for term in weights), weights


# --- sentences ------------------------------------------------------------------------------------

# A sentence ends at . ! ? … before a space or the end (not inside "fjellform.example").
_SENTENCE = re.compile(r"(?:[^.!?…\n]|[.!?…](?!\s|$))+(?:[.!?…]+|$)|[.!?…]+", re.MULTILINE)


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (a decimal point or an abbreviation's dot may split one: harmless)."""
    spans = []
    for match in _SENTENCE.finditer(text):
        start, end = match.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


@dataclass(frozen=True, slots=True)
class _Sentence:
    start: int
    end: int
    text: str
    words: list[str]
    token_spans: list[tuple[int, int]]
    hits: list[Hit]

    def has(self, label: str) -> bool:
        return any(hit.label == label for hit in self.hits)

    def first(self, label: str) -> Hit | None:
        found = [hit for hit in self.hits if hit.label == label]
        return min(found, key=lambda hit: hit.first) if found else None

    def quote(self, hit: Hit) -> str:
        start = self.token_spans[hit.first][0]
        end = self.token_spans[hit.last][1]
        return self.text[start:end]


def _read(text: str, start: int, end: int) -> _Sentence:
    piece = text[start:end]
    found = concepts.tokens(piece)
    words = [token.text for token in found]
    return _Sentence(start, end, piece, words, [(t.start, t.end) for t in found],
                     _lexicon().find(words))  # fmt: skip


# --- the scorer -----------------------------------------------------------------------------------

_CONTACT_LINK = re.compile(
    r"(?i)\b(?:https?://)?[\w.-]+\.[a-z]{2,}/(?:[\w-]+/)*(?:contact|kontakt|support|help|hjelp|"
    r"hilfe|aide|ayuda|assistenza|ajuda|pomoc|kundeservice|kundtjanst|kundenservice|"
    r"service-client|atencion-al-cliente|klantenservice|servizio-clienti|faq)\w*"
)


_NO_ORDERS = pii.BrandContacts(order_patterns=())


def _phones_and_emails(sentence: str) -> list[pii.PiiSpan]:
    """Every phone number and e-mail address in the sentence, the brand's own included."""
    if not any(ch.isdigit() or ch in "@[(" for ch in sentence):
        return []
    return [
        span
        for span in pii.find(sentence, _NO_ORDERS)
        if span.type in (pii.PiiType.PHONE, pii.PiiType.EMAIL)
    ]


def _targets(sentence: str, contacts: pii.BrandContacts) -> list[str]:
    """Concrete places the sentence names: phone numbers (the brand's own too), e-mail
    addresses, contact pages."""
    found = [span.text for span in _phones_and_emails(sentence)]
    if "/" in sentence:
        found += [m.group(0) for m in _CONTACT_LINK.finditer(sentence)]
    return found


def _own_contacts(sentence: str, contacts: pii.BrandContacts) -> list[str]:
    return [
        span.text
        for span in _phones_and_emails(sentence)
        if (span.type is pii.PiiType.PHONE and contacts.is_own_phone(span.text))
        or (span.type is pii.PiiType.EMAIL and contacts.is_own_email(span.text))
    ]


def _customer_directed(sentence: _Sentence, contact: Hit) -> bool:
    if contact.first <= 1:  # an imperative ("Call …", "Please call …", "Sorry, call …")
        return True
    directive = sentence.first("directive")
    return directive is not None and directive.first < contact.first


def _first_apart(label: str, sentence: _Sentence, other: Hit) -> Hit | None:
    apart = [
        hit
        for hit in sentence.hits
        if hit.label == label and hit.first not in (other.first, other.last)
    ]
    return min(apart, key=lambda hit: hit.first) if apart else None


def _to_us(sentence: _Sentence, contact: Hit) -> bool:
    """ "Contact us", "kontakt oss", "contáctanos": the brand as somewhere else to go."""
    if (
        sentence.words[contact.last].endswith(_ATTACHED_US)
        and len(sentence.words[contact.last]) > 6
    ):
        return True
    return any(
        hit.label == "us" and contact.last < hit.first <= contact.last + 3 for hit in sentence.hits
    )


def _agent_owns(sentence: _Sentence, contact: Hit) -> bool:
    """The agent (or a colleague) does the contacting: "I've asked our store to call you"."""
    if sentence.has("outreach"):
        return True
    return any(hit.label == "agent_acts" and hit.first < contact.first for hit in sentence.hits)


def find(text: str, contacts: pii.BrandContacts = pii.DEFAULT_CONTACTS) -> list[Deflection]:
    """Every deflecting sentence in a reply, in order (at most one finding per sentence)."""
    found: list[Deflection] = []
    spans = sentences(text[: pii.MAX_CHARS])
    read = [_read(text, start, end) for start, end in spans]
    formula_lexicon, weights = _formulas()
    formulas: list[tuple[_Sentence, list[Hit], float]] = []
    for number, sentence in enumerate(read):
        # "I can't see it from here, DM me the number": a limit the agent follows with an offer.
        offer = any(_offers(other) for other in read[number + 1 :] + read[:number])
        finding = _sentence_finding(sentence, contacts, offer)
        if finding is not None:
            found.append(finding)
            continue
        hits = formula_lexicon.find(sentence.words)
        if hits:
            formulas.append((sentence, hits, sum(weights[hit.label] for hit in hits)))
    # Formulas add up over the whole reply: "Thank you for your message. Kind regards."
    if formulas and sum(score for _, _, score in formulas) >= 1.0:
        strongest = max(formulas, key=lambda item: item[2])[0]
        evidence = tuple(dict.fromkeys(s.quote(hit) for s, hits, _ in formulas for hit in hits))
        total = sum(score for _, _, score in formulas)
        found.append(
            Deflection(DeflectionKind.FORM_LETTER, strongest.start, strongest.end, evidence, total)
        )
    return sorted(found, key=lambda finding: finding.start)


def _offers(sentence: _Sentence) -> bool:
    """The agent keeps it here: a DM, or doing something themselves."""
    return any(sentence.has(label) for label in ("in_channel", "agent_acts", "outreach"))


def _sentence_finding(
    sentence: _Sentence, contacts: pii.BrandContacts, offer_elsewhere: bool
) -> Deflection | None:
    def make(kind: DeflectionKind, score: float, *evidence: Hit | str) -> Deflection:
        quoted = [item if isinstance(item, str) else sentence.quote(item) for item in evidence]
        return Deflection(kind, sentence.start, sentence.end, tuple(dict.fromkeys(quoted)), score)

    limit = sentence.first("self_limit")
    if limit is not None:
        identity = any(marker in limit.term for marker in IDENTITY_MARKERS)
        offer_after = any(
            hit.first > limit.last and hit.label in ("in_channel", "agent_acts", "outreach")
            for hit in sentence.hits
        )
        if identity or not (offer_elsewhere or offer_after):
            return make(DeflectionKind.NOT_US, 1.0, limit)
    not_ours = sentence.first("not_ours")
    if not_ours is not None:
        return make(DeflectionKind.PASSING_THE_BUCK, 1.0, not_ours)
    hours = sentence.first("office_hours")
    if hours is not None:
        service = [h for h in sentence.hits if h.label == "channel" and h.term not in STORE_TERMS]
        other = service[0] if service else sentence.first("availability")
        if other is not None:
            return make(DeflectionKind.OFFICE_HOURS, 0.9, other, hours)
    targets = _targets(sentence.text, contacts)
    third = sentence.first("third_party")
    channel = sentence.first("channel")
    for contact in (hit for hit in sentence.hits if hit.label == "contact"):
        if not _customer_directed(sentence, contact) or _agent_owns(sentence, contact):
            continue
        # "mail" is a contact verb and a channel: the channel is another word than the verb.
        channel = _first_apart("channel", sentence, contact)
        if third is not None:
            return make(DeflectionKind.PASSING_THE_BUCK, 1.0, contact, third)
        if channel is not None or targets:
            where: Hit | str = channel if channel is not None else targets[0]
            return make(DeflectionKind.ELSEWHERE, 1.0, contact, where)
        if _to_us(sentence, contact) and not (sentence.has("in_channel") or sentence.has("here")):
            return make(DeflectionKind.ELSEWHERE, 0.8, contact)
    helper = sentence.first("they_help")
    if helper is not None and (channel or third) and not sentence.has("agent_acts"):
        subject = channel or third
        assert subject is not None
        kind = DeflectionKind.PASSING_THE_BUCK if third else DeflectionKind.ELSEWHERE
        return make(kind, 0.8, subject, helper)
    own = _own_contacts(sentence.text, contacts)
    if own:  # the brand's own support line or address in a public reply
        return make(DeflectionKind.ELSEWHERE, 0.7, own[0])
    return None


# --- a better sentence, from the brand's snippets -------------------------------------------------

# When the brand's snippets offer nothing better: owning it, here, in the customer's language.
FALLBACK: Mapping[str, str] = {
    "en": "I'll sort this out with you here: I've sent you a DM so we can look at it together.",
    "nb": "Jeg ordner dette med deg her: jeg har sendt deg en DM, så ser vi på det sammen.",
    "nn": "Eg ordnar dette med deg her: eg har sendt deg ei DM, så ser vi på det saman.",
    "sv": "Jag löser det här med dig: jag har skickat ett DM så tittar vi på det tillsammans.",
    "da": "Jeg klarer det her med dig: jeg har sendt dig en DM, så kigger vi på det sammen.",
    "de": "Ich kümmere mich hier selbst darum: Ich habe dir eine DM geschickt, dann schauen wir "
    "es uns zusammen an.",
    "fr": "Je m'en occupe ici avec vous : je vous ai envoyé un message privé pour qu'on regarde "
    "ça ensemble.",
    "es": "Me encargo yo aquí: te he enviado un DM para que lo veamos juntos.",
    "nl": "Ik regel dit hier met je: ik heb je een DM gestuurd, dan kijken we er samen naar.",
    "it": "Me ne occupo io qui: ti ho scritto in privato così lo vediamo insieme.",
    "pt": "Eu trato disto aqui contigo: enviei-te uma mensagem privada para vermos isto juntos.",
    "pl": "Zajmę się tym tutaj: wysłałem Ci prywatną wiadomość, żebyśmy razem to sprawdzili.",
}

_PLACEHOLDER = re.compile(r"\{(?P<ask>\?)?[^{}|]*(?:\|(?P<fallback>[^{}]*))?\}")
_SIGN_OFF = re.compile(r"\s*[–—-]\s*\{agent\.name\}\s*$|\s*[–—-]\s*[\w .]{1,30}$")


def _resolved(sentence: str) -> str | None:
    """A snippet sentence with its placeholders' fallbacks; None when one has no fallback."""
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        fallback = match.group("fallback")
        if match.group("ask") or fallback is None:
            missing = True
            return ""
        return fallback.strip()

    text = _PLACEHOLDER.sub(replace, sentence)
    return None if missing else re.sub(r"\s+([,.!?:;])", r"\1", text).strip()


def better_sentence(
    deflection: Deflection,
    snippet_texts: Sequence[str],
    language: str | None,
    contacts: pii.BrandContacts = pii.DEFAULT_CONTACTS,
) -> str:
    """A sentence to say instead: one from the brand's snippets (already in the customer's
    language) where the agent owns the problem and keeps it here, else a built-in one."""
    best: tuple[float, str] | None = None
    for body in snippet_texts:
        body = _SIGN_OFF.sub("", body)
        for start, end in sentences(body):
            candidate = _resolved(body[start:end])
            if not candidate or len(candidate) < 25 or len(candidate) > 220:
                continue
            read = _read(candidate, 0, len(candidate))
            owns = read.has("agent_acts") or read.has("outreach")
            if not owns or find(candidate, contacts):
                continue
            score = 1.0 + read.has("in_channel") + 0.5 * read.has("outreach")
            if deflection.kind is DeflectionKind.FORM_LETTER:
                score += 0.5 * read.has("agent_acts")
            if best is None or score > best[0]:
                best = (score, candidate)
    if best is not None:
        return best[1]
    return FALLBACK.get(language or "", FALLBACK["en"])
