"""contacts.city_folded / region_folded / company_folded (what the filters compare and index) follow their
columns through every write path: ORM objects, Core inserts, the chat's updates, bulk updates, the import (COPY on
PostgreSQL, inserts on SQLite, its bulk update of matched contacts) and the migration's backfill."""

import sqlalchemy as sa

from db import migrate
from db.filters import compile_filter
from db.models import Contact
from domain.filters import parse
from tests.factories import create_contact
from tests.integration.test_migrations import _fresh_url
from tools.contacts.records import bulk_update, update_contact
from tools.imports.importer import run_import
from tools.users import Actor

ADMIN = Actor.system("importer@example.com")


def _folded(session, email):
    session.expire_all()
    return session.execute(sa.select(Contact.city_folded, Contact.region_folded, Contact.company_folded)
                           .where(Contact.email == email)).one()


def _found(session, field, value):
    cond = compile_filter(parse({"field": field, "op": "eq", "value": value}))
    return set(session.scalars(sa.select(Contact.email).where(cond)))


def test_orm_objects_and_core_inserts_fold_on_write(db, session):
    create_contact(session, email="a@x.com", city="Montréal", region=" Québec ", company="Café  Noir", tags=[],
                   attributes={})
    session.execute(sa.insert(Contact), [{"email": "b@x.com", "city": "SÃO PAULO", "tags": [], "attributes": {}},
                                         {"email": "c@x.com", "tags": [], "attributes": {}}])
    session.flush()
    assert _folded(session, "a@x.com") == ("montreal", "quebec", "cafe noir")
    assert _folded(session, "b@x.com") == ("sao paulo", None, None)
    assert _folded(session, "c@x.com") == (None, None, None)
    assert _found(session, "city", "montreal") == {"a@x.com"}
    assert _found(session, "region", "QUÉBEC") == {"a@x.com"}
    assert _found(session, "company", "cafe noir") == {"a@x.com"}
    assert _found(session, "city", "São Paulo") == {"b@x.com"}


def test_chat_updates_and_bulk_updates_refold(db, session):
    create_contact(session, email="a@x.com", city="Austin", company="Acme", tags=[], attributes={})
    create_contact(session, email="b@x.com", city="Austin", tags=[], attributes={})
    update_contact(session, ADMIN, "a@x.com", {"city": "Zürich", "company": None})
    assert _folded(session, "a@x.com") == ("zurich", None, None)
    bulk_update(session, ADMIN, {"field": "city", "op": "eq", "value": "austin"}, set={"region": "Île-de-France"})
    assert _folded(session, "b@x.com") == ("austin", "ile-de-france", None)
    assert _found(session, "region", "ile-de-france") == {"b@x.com"}
    assert _found(session, "city", "zurich") == {"a@x.com"}


def test_the_import_folds_new_and_matched_contacts(db, session, tmp_path):
    create_contact(session, email="old@x.com", city="Austin", region="TX", tags=[], attributes={})
    session.commit()
    path = tmp_path / "p.csv"
    path.write_text("Email,City,State,Company\nnew@x.com,Köln,NRW,Müller GmbH\nold@x.com,Málaga,Andalucía,Óptica\n",
                    encoding="utf-8")
    result = run_import(path, actor=ADMIN, policy="overwrite")
    assert (result.created, result.updated) == (1, 1)
    assert _folded(session, "new@x.com") == ("koln", "nrw", "muller gmbh")
    assert _folded(session, "old@x.com") == ("malaga", "andalucia", "optica")
    assert _found(session, "city", "KOLN") == {"new@x.com"}
    assert _found(session, "company", "optica") == {"old@x.com"}


def test_the_migration_backfills_existing_contacts(tmp_path):
    url, drop = _fresh_url(tmp_path)
    try:
        migrate.upgrade(url, "0008")
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO contacts (email, city, region, company, tags, attributes, source, enrichment_status, "
                "opted_out_sms, opted_out_email, email_status, is_sample, created_at, updated_at) VALUES "
                "(:e, :c, :r, :co, '[]', '{}', 'import', 'none', false, false, 'ok', false, :t, :t)"),
                [{"e": "a@x.com", "c": "Montréal", "r": "QC", "co": None, "t": "2026-01-01"},
                 {"e": "b@x.com", "c": "MONTREAL", "r": None, "co": "Ça  Va", "t": "2026-01-01"},
                 {"e": "c@x.com", "c": None, "r": None, "co": None, "t": "2026-01-01"}])
        migrate.upgrade(url)
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT email, city_folded, region_folded, company_folded FROM contacts "
                                        "ORDER BY email")).all()
        engine.dispose()
        assert [tuple(r) for r in rows] == [("a@x.com", "montreal", "qc", None), ("b@x.com", "montreal", None, "ca va"),
                                            ("c@x.com", None, None, None)]
    finally:
        drop()
