"""Column headers -> contact fields, in English, French, Spanish, German, Portuguese and Italian.

Headers are compared by `header_key`: case- and accent-insensitive, letters and digits only ("Téléphone portable",
"TELEPHONE-PORTABLE" and "telephone portable" are one key). A header with no synonym becomes an attribute whose
key is readable (`Notes internes` -> `notes_internes`, `Prénom` -> `prenom`, never `pr_nom`)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# One line per language; each word is a header key (what header_key gives: no spaces, no accents, lower-case).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": (
        "email emailaddress mail emailaddr workemail primaryemail businessemail contactemail email1 emails "
        "mailaddress electronicmail",
        "courriel adressecourriel adresseemail adressemail adresseelectronique mel",  # fr
        "correo correoelectronico direcciondecorreo direcciondecorreoelectronico direcciondeemail correoe",  # es
        "emailadresse mailadresse elektronischepost",  # de
        "correioeletronico enderecodeemail enderecoeletronico enderecodecorreioeletronico",  # pt
        "postaelettronica indirizzoemail indirizzodipostaelettronica indirizzomail",  # it
    ),
    "phone": (
        "phone phonenumber mobile mobilephone mobilenumber cell cellphone cellular telephone tel phone1 workphone "
        "businessphone primaryphone whatsapp sms contactnumber mobileno phoneno number telephonenumber",
        "telephoneportable portable numerodetelephone numerotelephone telportable numerodeportable "
        "telephonemobile telephonefixe",  # fr
        "telefono telefonomovil movil celular numerodetelefono numerodecelular telefonocelular numerodemovil",  # es
        "telefon telefonnummer handy handynummer mobiltelefon mobilnummer mobilfunknummer rufnummer",  # de
        "telefone telemovel numerodetelefone telefonecelular",  # pt
        "cellulare numeroditelefono telefonocellulare numerocellulare",  # it
    ),
    "phone_ext": ("extension ext phoneext phoneextension", "postetelephonique", "extensiontelefonica",
                  "durchwahl", "ramal", "interno"),
    "first_name": ("firstname first givenname fname forename", "prenom", "nombre primernombre", "vorname rufname",
                   "primeironome nome", "nome"),
    "last_name": ("lastname last surname familyname lname", "nom nomdefamille", "apellido apellidos",
                  "nachname familienname zuname", "sobrenome apelido ultimonome", "cognome"),
    "name": ("name fullname contactname contact displayname personname", "nomcomplet contactprincipal",
             "nombrecompleto contacto", "vollstandigername kontakt ansprechpartner", "nomecompleto contato",
             "nominativo contatto"),
    "company": ("company companyname organization organisation org accountname account business employer",
                "societe entreprise raisonsociale nomdelentreprise etablissement",
                "empresa compania nombredelaempresa organizacion",
                "firma unternehmen firmenname organisation arbeitgeber",
                "organizacao nomedaempresa",
                "azienda societa ditta ragionesociale"),
    "job_title": ("title jobtitle position role designation",
                  "fonction poste intituledeposte intituleduposte metier",
                  "cargo puesto titulodelpuesto",
                  "berufsbezeichnung jobtitel funktion stellenbezeichnung",
                  "funcao profissao",
                  "ruolo qualifica mansione"),
    "website": ("website url domain web homepage site companywebsite websiteurl companydomain webpage",
                "siteweb siteinternet",
                "sitioweb paginaweb sitio",
                "webseite internetseite internetadresse",
                "sitoweb sitointernet"),
    "city": ("city town locality", "ville commune localite", "ciudad localidad poblacion municipio",
             "stadt ort wohnort", "cidade localidade", "citta comune localita"),
    "region": ("state region province county stateprovince stateregion stateorprovince",
               "etat departement",
               "estado provincia comunidad comunidadautonoma",
               "bundesland kanton",
               "distrito",
               "regione"),
    "postal_code": ("zip zipcode postalcode postcode postal", "codepostal cp", "codigopostal",
                    "plz postleitzahl", "cep", "cap codiceavviamentopostale"),
    "country": ("country countrycode nation countryname", "pays", "pais nacion", "land staat",
                "", "paese nazione"),
    "timezone": ("timezone tz", "fuseauhoraire", "zonahoraria husohorario", "zeitzone", "fusohorario",
                 "fusoorario"),
    "tags": ("tags tag labels label lists list groups group", "etiquettes etiquette", "etiquetas etiqueta",
             "schlagworter schlagwort stichworter", "marcadores", "etichette etichetta"),
    "attributes.address": ("address streetaddress street address1 addressline1 mailingaddress",
                           "adresse adressepostale rue", "direccion calle domicilio",
                           "strasse anschrift adresse", "endereco rua morada", "indirizzo"),
    "attributes.notes": ("notes note comments comment remarks", "remarques remarque commentaires commentaire",
                         "notas nota comentarios comentario observaciones", "notizen notiz bemerkungen "
                         "bemerkung anmerkungen kommentar", "observacoes", "osservazioni commento commenti"),
}
SYNONYMS: dict[str, str] = {word: target for target, lines in _SYNONYMS.items()
                            for line in lines for word in line.split()}

# Headers that name a person's first (or last) name only when the file also has the other half: "Nombre", "Nome"
# alone are the full name (Spanish, Italian, Portuguese), and "Nom" alone is the full name in French.
AMBIGUOUS = {"nombre": "name", "nome": "name", "nom": "name"}


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Lower-case without accents: "Société" -> "societe", "Straße" -> "strasse"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=4096)
def header_key(header: str) -> str:
    """What two spellings of one header share: letters and digits, lower-case, without accents."""
    return re.sub(r"[^a-z0-9]", "", fold(header))


def attribute_key(header: str, index: int) -> str:
    """A readable attribute key for a column with no field: words joined by '_', accents dropped."""
    slug = re.sub(r"[^a-z0-9]+", "_", fold(header).strip()).strip("_")[:64]
    return slug or f"column_{index + 1}"


def synonym(header: str) -> str:
    """The field a header names, or "" when none does."""
    return SYNONYMS.get(header_key(header), "")
