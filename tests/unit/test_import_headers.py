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
