"""Header mapping in English, French, Spanish, German, Portuguese and Italian: case- and accent-insensitive,
with readable attribute keys for the columns that have no field."""

import pytest

from domain.import_headers import attribute_key, header_key
from domain.imports import apply_overrides, propose_mapping

FILES = {
    "fr": (["Prénom", "Nom", "Courriel", "Téléphone portable", "Société", "Ville", "Code postal", "Région", "Pays",
            "Site web", "Fonction", "Étiquettes", "Remarques", "Notes internes"],
           ["first_name", "last_name", "email", "phone", "company", "city", "postal_code", "region", "country",
            "website", "job_title", "tags", "attributes.notes", "attributes.notes_internes"]),
    "es": (["Nombre", "Apellido", "Correo electrónico", "Teléfono", "Empresa", "Ciudad", "Código postal",
            "Provincia", "País", "Sitio web", "Cargo", "Etiquetas", "Dirección"],
           ["first_name", "last_name", "email", "phone", "company", "city", "postal_code", "region", "country",
            "website", "job_title", "tags", "attributes.address"]),
    "de": (["Vorname", "Nachname", "E-Mail-Adresse", "Telefon", "Firma", "Ort", "PLZ", "Bundesland", "Land",
            "Webseite", "Berufsbezeichnung", "Schlagwörter", "Bemerkungen", "Lieblingsfarbe"],
           ["first_name", "last_name", "email", "phone", "company", "city", "postal_code", "region", "country",
            "website", "job_title", "tags", "attributes.notes", "attributes.lieblingsfarbe"]),
    "pt": (["Nome", "Sobrenome", "E-mail", "Telemóvel", "Empresa", "Cidade", "CEP", "Estado", "País", "Função"],
           ["first_name", "last_name", "email", "phone", "company", "city", "postal_code", "region", "country",
            "job_title"]),
    "it": (["Nome", "Cognome", "Posta elettronica", "Cellulare", "Azienda", "Città", "CAP", "Regione", "Paese",
            "Sito web", "Ruolo"],
           ["first_name", "last_name", "email", "phone", "company", "city", "postal_code", "region", "country",
            "website", "job_title"]),
    "en": (["Email Address", "Mobile Phone", "First Name", "Last Name", "Company Name", "City", "State/Province",
            "Zip Code", "Country", "Website", "Job Title", "Tags", "Notes"],
           ["email", "phone", "first_name", "last_name", "company", "city", "region", "postal_code", "country",
            "website", "job_title", "tags", "attributes.notes"]),
}


@pytest.mark.parametrize("language", sorted(FILES))
def test_headers_in_six_languages_map_to_their_fields(language):
    headers, targets = FILES[language]
    mapping = propose_mapping(headers)
    assert list(mapping.columns.values()) == targets
    assert mapping.warnings == []


def test_matching_ignores_case_accents_and_punctuation():
    assert header_key("TÉLÉPHONE-PORTABLE") == header_key("telephone portable") == "telephoneportable"
    assert propose_mapping(["SOCIETE", "courriel"]).columns == {"SOCIETE": "company", "courriel": "email"}
    assert propose_mapping(["Straße", "E-Mail"]).columns == {"Straße": "attributes.address", "E-Mail": "email"}


def test_attribute_keys_are_readable():
    assert attribute_key("Notes internes", 0) == "notes_internes"
    assert attribute_key("Prénom du conjoint", 0) == "prenom_du_conjoint"
    assert attribute_key("Größe (cm)", 0) == "grosse_cm"
    assert attribute_key("電話", 4) == "column_5"


def test_a_lone_nom_or_nombre_is_the_full_name():
    assert propose_mapping(["Nom", "Courriel"]).columns["Nom"] == "name"
    assert propose_mapping(["Nombre", "Correo"]).columns["Nombre"] == "name"
    assert propose_mapping(["Nome", "Email", "Nome completo"]).columns["Nome"] == "first_name"


def test_an_override_names_a_column_without_its_accents():
    mapping = apply_overrides(propose_mapping(["Courriel", "Société", "Raison"]), {"societe": "attributes.societe",
                                                                                  "RAISON": "company"})
    assert mapping.columns == {"Courriel": "email", "Société": "attributes.societe", "Raison": "company"}


def test_consent_and_opt_out_columns_of_common_exports_and_languages():
    headers = {
        "Marketing OK?": "consent.all", "GDPR consent": "consent.all", "SMS consent": "consent.sms",
        "Email Opt Out": "optout.email", "Unsubscribed": "optout.all", "Opted out": "optout.all",
        "Do Not Call": "optout.sms", "DNC": "optout.sms",
        "Unsubscribed from all email": "optout.email",  # HubSpot
        "Opted out of email: Marketing Information": "optout.email",  # HubSpot, one per subscription type
        "UNSUB_TIME": "optout.email", "CLEAN_TIME": "optout.email",  # Mailchimp
        "Accepts Email Marketing": "consent.email", "Accepts SMS Marketing": "consent.sms",  # Shopify
        "Consentement RGPD": "consent.all", "Désabonné": "optout.all", "Ne pas appeler": "optout.sms",
        "Consentimiento SMS": "consent.sms", "Dado de baja": "optout.all", "No llamar": "optout.sms",
        "Werbeeinwilligung": "consent.all", "Newsletter abgemeldet": "optout.email", "Nicht anrufen": "optout.sms",
    }
    mapping = propose_mapping(["Email", *headers])
    assert {h: t for h, t in mapping.columns.items() if h != "Email"} == headers
    assert mapping.warnings == []


def test_what_a_consent_cell_means():
    from domain.import_consent import reading

    for value in ("no", "FALSE", "0", "Unsubscribed", "non", "Nein", "opted out", "declined"):
        assert reading("consent.all", value) == (True, False), value
    for value in ("yes", "True", "1", "x", "Oui", "Sí", "ja", "subscribed", "opted in"):
        assert reading("consent.all", value) == (False, False), value
    for value in ("yes", "TRUE", "1", "unsubscribed", "2024-03-01 10:00:00", "03/01/2024"):
        assert reading("optout.email", value) == (True, False), value
    for value in ("no", "false", "0", "subscribed"):
        assert reading("optout.email", value) == (False, False), value
    for value in ("maybe", "unknown", "2", "?"):
        assert reading("consent.sms", value) == (True, True) and reading("optout.sms", value) == (True, True)


def test_answers_for_a_header_that_is_no_field_and_no_consent_column():
    """Written out: "" (not None) for a header with no field and no consent meaning; an attribute key is at most
    64 characters."""
    from domain.import_consent import consent_target
    from domain.import_headers import synonym

    assert (synonym("Favourite colour"), consent_target("Favourite colour")) == ("", "")
    assert consent_target("Opted out of email: Newsletter") == "optout.email"  # HubSpot's per-subscription prefix
    assert attribute_key("Notes " + "a" * 70, 3) == "notes_" + "a" * 58
    assert attribute_key("  ¿¡  ", 3) == "column_4"


def test_what_the_card_says_about_each_consent_column_and_its_channels():
    from domain.import_consent import TARGETS, channels, describe

    assert {t: (describe(t), channels(t)) for t in TARGETS} == {
        "consent.email": ("email consent, no = opt out", ("email",)),
        "consent.sms": ("SMS consent, no = opt out", ("sms",)),
        "consent.all": ("email+SMS consent, no = opt out", ("email", "sms")),
        "optout.email": ("email opt-out, yes/date = opt out", ("email",)),
        "optout.sms": ("SMS opt-out, yes/date = opt out", ("sms",)),
        "optout.all": ("email+SMS opt-out, yes/date = opt out", ("email", "sms")),
    }


def test_a_cell_is_read_through_its_punctuation():
    from domain.import_consent import reading

    assert [reading("consent.all", raw) for raw in ("Yes!", "[x]", "Opted-Out", "opted_in", "no.")] == [
        (False, False), (False, False), (True, False), (False, False), (True, False)]
