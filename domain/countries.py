"""Country names and codes to ISO 3166-1 alpha-2 (pure), from pycountry's ISO table: every alpha-2 and alpha-3
code, the ISO name, official and common names ("Viet Nam", "Vietnam", "Korea, Republic of", "South Korea"),
the ISO names in the languages the import reads headers in (French, Spanish, German, Portuguese, Italian, Dutch:
"Allemagne", "España", "Schweiz"), and the everyday names ISO does not list ("UK", "England", "Holland").
Matching ignores case, accents, dots and extra spaces."""

from __future__ import annotations

import gettext
import re
import unicodedata
from functools import lru_cache

LANGUAGES = ("fr", "es", "de", "pt", "it", "nl")
EVERYDAY = {
    "usa": "US", "us": "US", "america": "US", "united states": "US", "u s": "US", "u s a": "US",
    "uk": "GB", "u k": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "holland": "NL", "the netherlands": "NL", "korea": "KR",
    "republic of korea": "KR", "north korea": "KP", "russia": "RU", "czech republic": "CZ", "turkey": "TR",
    "uae": "AE", "emirates": "AE", "ivory coast": "CI", "macedonia": "MK", "swaziland": "SZ", "burma": "MM",
    "vatican": "VA", "palestine": "PS", "iran": "IR", "syria": "SY", "laos": "LA", "moldova": "MD",
    "tanzania": "TZ", "bolivia": "BO", "venezuela": "VE", "taiwan": "TW", "brasil": "BR", "deutschland": "DE",
    "italia": "IT", "espana": "ES", "schweiz": "CH", "suisse": "CH", "svizzera": "CH", "osterreich": "AT",
    "turkiye": "TR", "mexique": "MX",
}


def key(text: str) -> str:
    """Lower case, no accents, dots and commas as spaces, single spaces."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(re.sub(r"[.,()'’]", " ", folded).split())


@lru_cache(maxsize=1)
def table() -> dict[str, str]:
    """Every known spelling (as `key` gives it) -> alpha-2; built at first use (pycountry loads in ~0.1 s)."""
    import pycountry

    out: dict[str, str] = {}
    translations = [gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
                    for lang in LANGUAGES]
    for country in pycountry.countries:
        code = country.alpha_2
        names = [country.name, getattr(country, "official_name", ""), getattr(country, "common_name", "")]
        if ", " in country.name:  # "Korea, Republic of" -> "Republic of Korea"
            head, _, tail = country.name.partition(", ")
            names.append(f"{tail} {head}")
        names += [t.gettext(n) for t in translations for n in list(names) if n]
        for name in (country.alpha_2, country.alpha_3, *names):
            if name:
                out.setdefault(key(name), code)
    for name, code in EVERYDAY.items():
        out[key(name)] = code
    return out


@lru_cache(maxsize=4096)  # a file repeats a few countries
def country_code(raw: str | None) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country written as a code (FR, FRA) or a name in English or one of
    LANGUAGES; None when unknown."""
    text = key(raw or "")
    return table().get(text) if text else None
