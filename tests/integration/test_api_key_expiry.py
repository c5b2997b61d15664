"""Optional API key expiry: `mkt api-keys create --expires 90d`; an expired key is refused like a revoked one
(the clock is not waited on: the stored expiry is moved into the past)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from cli.main import main as mkt
from db.models import ApiKey, utcnow
from db.session import unit_of_work
from tests.integration.companion import app_client
from tools.api_keys import ApiKeyError, parse_expiry, verify_api_key


@pytest.fixture
def client(db):
    yield from app_client()


def _expire(prefix: str) -> None:
    with unit_of_work() as uow:
        row = uow.session.scalar(sa.select(ApiKey).where(ApiKey.prefix == prefix))
        row.expires_at = utcnow() - timedelta(seconds=1)


def test_a_key_created_to_expire_works_until_then_and_is_refused_after(db, capsys, client):
    assert mkt(["api-keys", "create", "--name", "n8n", "--scopes", "contacts:read", "--expires", "90d"]) == 0
    out = capsys.readouterr().out
    key = out.split("Key (shown once, keep it secret): ")[1].strip()
    assert "expires " in out
    with unit_of_work() as uow:
        row = uow.session.scalar(sa.select(ApiKey))
        assert timedelta(days=89) < row.expires_at - utcnow() <= timedelta(days=90)
        assert verify_api_key(uow.session, key) is not None
    assert client.get("/api/v1/contacts", headers={"X-Api-Key": key}).status_code == 200
    _expire(key.split(".")[0])
    with unit_of_work() as uow:
        assert verify_api_key(uow.session, key) is None
    assert client.get("/api/v1/contacts", headers={"X-Api-Key": key}).status_code == 401
    assert mkt(["api-keys", "list"]) == 0
    assert "expired " in capsys.readouterr().out


def test_without_expires_a_key_never_expires(db, capsys):
    assert mkt(["api-keys", "create", "--name", "n8n", "--scopes", "all"]) == 0
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(ApiKey)).expires_at is None


def test_expiry_durations_are_read_and_nonsense_refused_in_one_line(db, capsys):
    assert parse_expiry("90d") == timedelta(days=90) and parse_expiry("12h") == timedelta(hours=12)
    assert parse_expiry("2w") == timedelta(weeks=2) and parse_expiry("30") == timedelta(days=30)
    assert parse_expiry("never") is None
    for bad in ("0d", "soon", "-5d", "90y"):
        with pytest.raises(ApiKeyError):
            parse_expiry(bad)
    assert mkt(["api-keys", "create", "--name", "x", "--scopes", "all", "--expires", "soon"]) == 2
    err = capsys.readouterr().err
    assert "not understood" in err and len(err.strip().splitlines()) == 1
