"""`mkt chat --once` and `mkt demo`: same graph in the terminal; exit code 0 when it went well, 1 otherwise."""

from __future__ import annotations

import io

import sqlalchemy as sa

from cli.main import main
from db.models import Contact
from db.session import unit_of_work
from tests.factories import create_contact, create_user


def test_once_answers_a_count(session, capsys):
    create_contact(session, first_name="Jane", email="jane@acme.com", city="Austin", tags=["roofer"])
    session.commit()
    assert main(["chat", "--once", "how many roofers in Austin"]) == 0
    assert "**1** contact matches." in capsys.readouterr().out


def test_once_prints_a_table_as_text(session, capsys):
    create_contact(session, first_name="Jane", last_name="Doe", email="jane@acme.com", city="Austin", tags=[])
    session.commit()
    assert main(["chat", "--once", "show contacts in Austin"]) == 0
    out = capsys.readouterr().out
    assert "| id | name | email |" in out and "Jane Doe" in out


def test_once_not_understood_exits_non_zero(db, capsys):
    assert main(["chat", "--once", "sing me a song"]) == 1
    assert "I didn't understand" in capsys.readouterr().out


def test_approval_as_y_or_n_on_stdin(session, capsys, monkeypatch):
    main(["demo", "load"])
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert main(["chat", "--once", "remove sample data"]) == 1  # cancelled: not done
    assert "Approve: Remove the sample data" in capsys.readouterr().out
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 16
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert main(["chat", "--once", "remove sample data"]) == 0
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0


def test_a_reviewer_user_is_refused_writes(session, capsys):
    create_user(session, email="rev@example.com", role="reviewer")
    session.commit()
    assert main(["chat", "--user", "rev@example.com", "--once", "load sample data"]) == 1
    assert "Refused: your role (reviewer)" in capsys.readouterr().out


def test_demo_load_is_marked_and_remove_deletes_only_samples(session, capsys):
    create_contact(session, first_name="Real", email="real@acme.com", tags=[])
    session.commit()
    assert main(["demo", "load"]) == 0
    assert main(["demo", "load"]) == 0
    assert "already loaded" in capsys.readouterr().out
    with unit_of_work() as uow:
        samples = uow.session.scalars(sa.select(Contact).where(Contact.is_sample.is_(True))).all()
        assert len(samples) == 16 and all(c.source == "sample" and "sample" in c.tags for c in samples)
    assert main(["demo", "remove"]) == 0
    with unit_of_work() as uow:
        assert uow.session.scalars(sa.select(Contact.email)).all() == ["real@acme.com"]


def test_import_a_local_csv_from_the_terminal_with_approval(db, tmp_path, capsys, monkeypatch):
    csv_file = tmp_path / "leads.csv"
    csv_file.write_text("Name,Email,City\nJane Doe,jane@acme.com,Austin\nBad,not-an-email,\n")
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert main(["chat", "--once", f"import {csv_file}"]) == 0
    out = capsys.readouterr().out
    assert "Approve: Import" in out and "Email → email" in out and "Jane Doe" in out
    assert "Imported 2 rows" in out and "1 new" in out and "1 rejected" in out
    with unit_of_work() as uow:
        assert uow.session.scalars(sa.select(Contact.email)).all() == ["jane@acme.com"]


def test_the_import_tool_reads_only_uploaded_files(db, capsys):
    assert main(["chat", "--once", "import ../../etc/passwd.csv"]) == 1
    assert main(["chat", "--once", "import nothere.csv"]) == 1
    out = capsys.readouterr().out
    assert "no uploaded file named" in out or "is not the name of an uploaded file" in out


def test_once_json_prints_tool_calls_results_and_the_answer(session, capsys):
    import json

    main(["demo", "load"])
    capsys.readouterr()
    assert main(["chat", "--once", "how many roofers in Texas", "--json"]) == 0
    turn = json.loads(capsys.readouterr().out)
    assert turn["tool_calls"] == [{"name": "count_contacts", "args": {"filter": {"all": [
        {"field": "tags", "op": "has", "value": "roofer"}, {"field": "region", "op": "in", "value": ["TX", "Texas"]}]}}}]
    assert turn["results"][0]["name"] == "count_contacts" and turn["results"][0]["status"] == "ok"
    assert "contacts match" in turn["results"][0]["summary"] and turn["ok"] is True and turn["answer"]
    assert main(["chat", "--once", "show contacts in Austin", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)["results"][0]
    assert shown["rows"] == shown["total"] == 5  # Jane, Carlos, Luis, Grace, Sara


def test_once_json_reports_a_pending_approval_and_a_not_understood_message(session, capsys):
    import json

    main(["demo", "load"])
    capsys.readouterr()
    assert main(["chat", "--once", "remove sample data", "--json"]) == 0
    turn = json.loads(capsys.readouterr().out)
    assert turn["approval"]["tool"] == "remove_sample_data" and turn["results"] == []
    assert main(["chat", "--once", "show invoices", "--json"]) == 1
    turn = json.loads(capsys.readouterr().out)
    assert turn["tool_calls"] == [] and turn["answer"].startswith('I didn\'t understand "invoices"')


def test_once_help_answers_without_a_model_call(db, capsys):
    assert main(["chat", "--once", "help"]) == 0
    assert "Things you can say" in capsys.readouterr().out
