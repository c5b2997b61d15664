"""`mkt contacts import|export|errors` as a person runs them (a subprocess on the test database)."""

import csv
import json
import os
import subprocess
import sys

import sqlalchemy as sa

from db.models import Contact


def _mkt(*args):
    return subprocess.run([sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ})


def test_import_with_map_and_policy_prints_one_json_object(db, session, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("Contact Mail;Cell;Who\nJane@Acme.com;512-555-0100;Jane Doe\nbroken;;Bob\n", encoding="utf-8")
    out = _mkt("contacts", "import", str(path), "--map", "Contact Mail=email", "--map", "Who=name",
               "--policy", "overwrite", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {k: data[k] for k in ("rows", "created", "updated", "unchanged", "duplicates", "rejected")} == {
        "rows": 2, "created": 1, "updated": 0, "unchanged": 0, "duplicates": 0, "rejected": 1}
    assert data["import_id"] > 0 and data["errors"][-1]["line"] == 3 and data["errors"][-1]["rejected"] is True
    jane = session.scalar(sa.select(Contact).where(Contact.email == "jane@acme.com"))
    assert (jane.first_name, jane.last_name, jane.phone) == ("Jane", "Doe", "+15125550100")

    report = tmp_path / "report.csv"
    out = _mkt("contacts", "errors", str(data["import_id"]), str(report))
    assert out.returncode == 0 and "problems of import" in out.stdout
    assert list(csv.DictReader(report.open()))[-1]["line"] == "3"


def _run(capsys, *args):
    """In-process (faster than a subprocess); the same main() and error handling."""
    from cli.main import main

    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_export_with_a_filter(db, session, tmp_path, capsys):
    session.add_all([Contact(email="a@x.com", tags=["vip"], attributes={}), Contact(email="b@x.com", tags=[],
                                                                                     attributes={})])
    session.commit()
    target = tmp_path / "out.csv"
    code, out, err = _run(capsys, "contacts", "export", str(target), "--filter",
                          '{"field": "tags", "op": "has", "value": "vip"}')
    assert code == 0, err
    assert "1 contacts written" in out
    assert [r["email"] for r in csv.DictReader(target.open())] == ["a@x.com"]


def test_mistakes_are_one_clear_line(db, tmp_path, capsys):
    code, _, err = _run(capsys, "contacts", "import", str(tmp_path / "missing.csv"))
    assert code == 2 and "no such file" in err
    path = tmp_path / "c.csv"
    path.write_text("email\na@x.com\n", encoding="utf-8")
    code, _, err = _run(capsys, "contacts", "import", str(path), "--map", "nope=email")
    assert code == 2 and "no column 'nope'" in err
    code, _, err = _run(capsys, "contacts", "export", str(tmp_path / "o.csv"), "--filter",
                        '{"field": "shoe", "op": "eq", "value": 1}')
    assert code == 2 and "unknown field 'shoe'" in err
    zipped = tmp_path / "z.csv"
    zipped.write_bytes(b"PK\x03\x04rest")
    code, _, err = _run(capsys, "contacts", "import", str(zipped))
    assert code == 2 and "zip archive" in err
    code, out, _ = _run(capsys, "contacts", "import", str(path), "--inspect", "--json")
    assert code == 0 and json.loads(out)["mapping"] == {"email": "email"}


FRENCH = ("Prénom;Nom;Courriel;Téléphone portable;Société;Ville;Code postal;Pays;Notes internes\n"
          "Jeanne;Dupont;jeanne@acme.fr;06 12 34 56 78;Acme SARL;Lyon;69001;France;rappeler lundi\n")


def test_inspect_maps_french_headers_and_the_import_stores_them(db, session, tmp_path, capsys):
    path = tmp_path / "contacts.csv"
    path.write_text(FRENCH, encoding="utf-8")
    code, out, err = _run(capsys, "contacts", "import", str(path), "--inspect", "--json")
    assert code == 0, err
    assert json.loads(out)["mapping"] == {
        "Prénom": "first_name", "Nom": "last_name", "Courriel": "email", "Téléphone portable": "phone",
        "Société": "company", "Ville": "city", "Code postal": "postal_code", "Pays": "country",
        "Notes internes": "attributes.notes_internes"}
    code, out, err = _run(capsys, "contacts", "import", str(path), "--inspect", "--json", "--map", "societe=ignore")
    assert code == 0 and json.loads(out)["mapping"]["Société"] == "ignore", err
    code, out, err = _run(capsys, "contacts", "import", str(path), "--json")
    assert code == 0 and json.loads(out)["created"] == 1, err
    jeanne = session.scalar(sa.select(Contact).where(Contact.email == "jeanne@acme.fr"))
    assert (jeanne.first_name, jeanne.last_name, jeanne.phone, jeanne.company, jeanne.city, jeanne.postal_code,
            jeanne.country) == ("Jeanne", "Dupont", "+33612345678", "Acme SARL", "Lyon", "69001", "FR")
    assert jeanne.attributes == {"notes_internes": "rappeler lundi"}
