"""API keys: shown once, stored hashed, scoped, revocable; admins only; the CLI."""

import hashlib

import pytest
import sqlalchemy as sa

from cli.main import main as mkt
from db.models import ApiKey
from db.session import unit_of_work
from domain.roles import PermissionDenied, Role
from tools.api_keys import ApiKeyError, create_api_key, list_api_keys, revoke_api_key, verify_api_key
from tools.users import Actor

ADMIN = Actor("admin@example.com", Role.ADMIN)
MARKETER = Actor("m@example.com", Role.MARKETER)


def _create(name="n8n", scopes="contacts:read contacts:write"):
    with unit_of_work() as uow:
        return create_api_key(uow.session, ADMIN, name=name, scopes=scopes)


def test_a_key_is_shown_once_and_only_its_sha256_is_stored(db):
    created = _create()
    assert created.key.startswith(created.view.prefix + ".")
    assert len(created.key) > 40
    with unit_of_work() as uow:
        row = uow.session.scalar(sa.select(ApiKey))
        assert row.key_hash == hashlib.sha256(created.key.encode()).hexdigest()
        assert created.key not in (row.key_hash, row.prefix, row.name)
        assert row.scopes == ["contacts:read", "contacts:write"]


def test_verify_accepts_the_key_and_refuses_wrong_secrets_unknown_prefixes_and_garbage(db):
    created = _create()
    with unit_of_work() as uow:
        ok = verify_api_key(uow.session, created.key)
        assert ok is not None and ok.scopes == frozenset({"contacts:read", "contacts:write"})
        assert verify_api_key(uow.session, created.view.prefix + ".wrong-secret") is None
        assert verify_api_key(uow.session, "mkt_000000000000." + created.key.split(".")[1]) is None
        assert verify_api_key(uow.session, "") is None
        assert verify_api_key(uow.session, "not a key") is None
        assert uow.session.scalar(sa.select(ApiKey.last_used_at)) is not None


def test_a_revoked_key_stops_working_at_once(db):
    created = _create()
    with unit_of_work() as uow:
        view = revoke_api_key(uow.session, ADMIN, created.view.prefix)
        assert not view.active
    with unit_of_work() as uow:
        assert verify_api_key(uow.session, created.key) is None
        assert revoke_api_key(uow.session, ADMIN, str(created.view.id)).revoked_at == view.revoked_at


def test_only_admins_manage_keys(db):
    with unit_of_work() as uow, pytest.raises(PermissionDenied, match="admin"):
        create_api_key(uow.session, MARKETER, name="x", scopes="all")
    with unit_of_work() as uow, pytest.raises(PermissionDenied):
        list_api_keys(uow.session, MARKETER)


def test_scopes_are_checked_and_all_means_every_scope(db):
    with unit_of_work() as uow, pytest.raises(ApiKeyError, match="events:read"):
        create_api_key(uow.session, ADMIN, name="x", scopes="contacts:delete")
    with unit_of_work() as uow, pytest.raises(ApiKeyError, match="name"):
        create_api_key(uow.session, ADMIN, name=" ", scopes="all")
    assert _create(scopes="all").view.scopes == ["contacts:read", "contacts:write", "enrichment:write",
                                                 "events:read", "hooks:write"]


def test_revoking_an_ambiguous_name_asks_for_the_id(db):
    _create(name="same")
    _create(name="same")
    with unit_of_work() as uow, pytest.raises(ApiKeyError, match="2 API keys match"):
        revoke_api_key(uow.session, ADMIN, "same")


def test_cli_creates_lists_and_revokes_keys(db, capsys):
    assert mkt(["api-keys", "create", "--name", "n8n", "--scopes", "contacts:read", "events:read"]) == 0
    out = capsys.readouterr().out
    key = out.split("Key (shown once, keep it secret): ")[1].strip()
    assert mkt(["api-keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert "n8n" in listed and "contacts:read events:read" in listed and key not in listed
    assert mkt(["api-keys", "revoke", key.split(".")[0]]) == 0
    assert "revoked" in capsys.readouterr().out
    with unit_of_work() as uow:
        assert verify_api_key(uow.session, key) is None


def test_cli_refuses_an_unknown_scope_with_one_line(db, capsys):
    assert mkt(["api-keys", "create", "--name", "x", "--scopes", "everything"]) == 2
    assert "unknown or missing scopes" in capsys.readouterr().err
