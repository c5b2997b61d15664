"""Consent and opt-out columns of an import (pure): which headers are such columns, what their cells mean.

A column is either a consent column (`consent.<channels>`: "Marketing OK?", "SMS consent", "GDPR consent";
yes = consent given) or an opt-out column (`optout.<channels>`: "Email Opt Out", "Unsubscribed", "Do Not Call",
"DNC", Mailchimp's UNSUB_TIME; yes, or a date, = opted out). Channels: email, sms or all.
A cell saying no consent (or an opt-out) opts the row's address out of those channels through the suppression
list. An empty cell says nothing. A value that is neither a clear yes nor a clear no is never read as consent:
the address is opted out and the row is reported with the value, so a person can check it."""

from __future__ import annotations

import re

from domain.import_headers import fold, header_key

CHANNELS = {"email": ("email",), "sms": ("sms",), "all": ("email", "sms")}
TARGETS = tuple(f"{kind}.{channels}" for kind in ("consent", "optout") for channels in CHANNELS)

_HEADERS: dict[str, tuple[str, ...]] = {
    "consent.all": (
        "marketingok marketingconsent consent optin optedin gdprconsent gdpr acceptsmarketing marketingoptin "
        "marketingpermission marketingpermissions permissiontocontact okaytocontact oktocontact contactconsent",
        "consentement consentementmarketing consentementrgpd rgpd optinmarketing acceptelescommunications "
        "acceptelaprospection",
        "consentimiento consentimientomarketing consentimientorgpd aceptapublicidad aceptamarketing",
        "einwilligung werbeeinwilligung marketingeinwilligung dsgvoeinwilligung dsgvo",
        "consentimento consentimentomarketing consentimentolgpd lgpd",
        "consenso consensomarketing consensoprivacy consensogdpr",
    ),
    "consent.email": (
        "emailconsent emailoptin emailmarketingconsent acceptsemailmarketing emailmarketingstatus emailpermission "
        "emailsubscriptionstatus newsletteroptin newsletterconsent emailmarketingoptin subscribedtoemail",
        "consentementemail consentementcourriel optinemail optinnewsletter",
        "consentimientoemail consentimientocorreo",
        "emaileinwilligung newslettereinwilligung newsletteranmeldung",
        "consentimentoemail",
        "consensoemail consensonewsletter",
    ),
    "consent.sms": (
        "smsconsent smsoptin textconsent textoptin smsmarketingconsent acceptssmsmarketing smsmarketingstatus "
        "smssubscriptionstatus smspermission smsmarketingoptin subscribedtosms",
        "consentementsms optinsms",
        "consentimientosms",
        "smseinwilligung",
        "consentimentosms",
        "consensosms",
    ),
    "optout.all": (
        "optedout optout unsubscribed donotcontact donotmarket unsubscribedfromall globalunsubscribe "
        "optedoutofall marketingoptout",
        "desabonne desinscrit opposition nepascontacter optoutmarketing",
        "baja dadodebaja nocontactar listarobinson",
        "abgemeldet abmeldung widerspruch werbewiderspruch nichtkontaktieren robinsonliste",
        "descadastrado naocontactar",
        "disiscritto noncontattare",
    ),
    "optout.email": (
        "emailoptout hasoptedoutofemail donotemail unsubscribedfromallemail emailunsubscribed unsubtime "
        "unsubscribedate unsubscribedat emailoptoutdate optoutemail cleantime emailunsubscribe "
        "unsubscribedfromemail",
        "desabonnementemail desinscriptionemail desabonnenewsletter",
        "bajaemail bajacorreo",
        "emailabgemeldet newsletterabgemeldet",
        "",
        "",
    ),
    "optout.sms": (
        "donotcall dnc donottext smsoptout textoptout smsunsubscribed optoutsms dnclist donotcalllist "
        "hasoptedoutofsms smsunsubscribe",
        "nepasappeler bloctel optoutsms",
        "nollamar",
        "nichtanrufen",
        "naoligar",
        "nonchiamare",
    ),
}
HEADERS: dict[str, str] = {word: target for target, lines in _HEADERS.items() for line in lines
                           for word in line.split()}
_PREFIXES = (("optedoutofemail", "optout.email"), ("optedoutofsms", "optout.sms"))  # HubSpot: one per subscription

AFFIRM = frozenset("yes y true t 1 x on checked ok agree agreed accept accepted oui o vrai si s verdadero ja j wahr "
                   "sim verdadeiro vero".split())
DENY = frozenset("no n false f 0 off unchecked non faux nein falsch nao falso".split())
IN = frozenset(["subscribed", "opted in", "optedin", "opt in", "optin", "granted", "given", "confirmed"])  # consent
OUT = frozenset(["unsubscribed", "opted out", "optedout", "opt out", "optout", "declined", "denied", "refused",
                 "withdrawn", "revoked", "cleaned", "bounced", "nonsubscribed", "non subscribed", "not subscribed",
                 "pending", "do not contact", "desabonne", "desinscrit", "abgemeldet", "baja", "dado de baja"])
_DATE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")


def consent_target(header: str) -> str:
    """`consent.<channels>` / `optout.<channels>` for a consent or opt-out header, else ""."""
    key = header_key(header)
    found = HEADERS.get(key, "")
    if not found:
        found = next((target for prefix, target in _PREFIXES if key.startswith(prefix)), "")
    return found


def describe(target: str) -> str:
    """What the mapping card says about such a column (short: it is a table cell)."""
    kind, _, channels = target.partition(".")
    which = "email+SMS" if channels == "all" else ("SMS" if channels == "sms" else "email")
    return f"{which} consent, no = opt out" if kind == "consent" else f"{which} opt-out, yes/date = opt out"


EXPLAIN = ("Consent columns: a no (consent) or a yes or a date (opt-out) opts the address out through the suppression "
           "list; a value that is neither is never read as consent: it opts out too and is listed in the report; a "
           "yes never opts anyone back in.")


def reading(target: str, raw: str) -> tuple[bool, bool]:
    """(opted out, value unclear) for one non-empty cell of a consent/opt-out column."""
    words = " ".join(re.sub(r"[^a-z0-9 ]", " ", fold(raw)).split())
    kind = target.partition(".")[0]
    if words in AFFIRM:
        return kind == "optout", False
    if words in DENY:
        return kind == "consent", False
    if words in IN or words in OUT:  # a status says the same in either kind of column
        return words in OUT, False
    if kind == "optout" and _DATE.search(raw):  # UNSUB_TIME, "Opted out on": a date means opted out
        return True, False
    return True, True


def channels(target: str) -> tuple[str, ...]:
    return CHANNELS[target.partition(".")[2]]
