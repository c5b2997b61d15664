"""Country names and codes (domain.countries, from pycountry's ISO 3166 table)."""

from __future__ import annotations

import pytest

from domain.countries import country_code
from domain.enrichment_rules import _country
from domain.fastnorm import normalise_country


@pytest.mark.parametrize(("raw", "code"), [
    # rejected by the old ~70-name table
    ("Luxembourg", "LU"), ("Iceland", "IS"), ("Croatia", "HR"), ("Qatar", "QA"), ("Morocco", "MA"),
    ("Viet Nam", "VN"), ("ESP", "ES"), ("ITA", "IT"), ("MEX", "MX"),
    # ISO name forms, common names, alpha-2/alpha-3 in any case
    ("Korea, Republic of", "KR"), ("Republic of Korea", "KR"), ("South Korea", "KR"), ("vietnam", "VN"),
    ("Türkiye", "TR"), ("Turkey", "TR"), ("Czechia", "CZ"), ("Bolivia, Plurinational State of", "BO"),
    ("Côte d'Ivoire", "CI"), ("cote d ivoire", "CI"), ("lux", "LU"), ("nzl", "NZ"), ("de", "DE"),
    # the languages the import reads headers in
    ("Allemagne", "DE"), ("Deutschland", "DE"), ("España", "ES"), ("Espagne", "ES"), ("Alemanha", "DE"),
    ("Svizzera", "CH"), ("Pays-Bas", "NL"), ("Marokko", "MA"), ("Islande", "IS"), ("México", "MX"),
    # everyday names ISO does not list
    ("U.S.A.", "US"), ("USA", "US"), ("UK", "GB"), ("England", "GB"), ("Holland", "NL"), ("  united   states ", "US"),
])
def test_names_and_codes(raw, code):
    assert country_code(raw) == code
    assert normalise_country(raw) == code
    assert _country(raw) == code  # enrichment reads the same table


@pytest.mark.parametrize("raw", ["", None, "xx", "Atlantis", "ZZZ", "Europe", "12"])
def test_unknown_is_none(raw):
    assert country_code(raw) is None and normalise_country(raw) is None


def test_phone_regions_outside_iso_are_kept():
    assert normalise_country("xk") == "XK"  # Kosovo: a phonenumbers region, not an ISO 3166 code
