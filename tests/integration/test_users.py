import subprocess
import sys

import pytest
import sqlalchemy as sa

from db.models import User
from db.session import unit_of_work
from tests.factories import PASSWORD, create_user
from tools.users import UserError, authenticate, ensure_admin


def test_password_is_stored_hashed_and_verifies(session):
    user = create_user(session, "Jane@Example.com", "marketer")
    assert user.email == "jane@example.com"
    assert PASSWORD not in user.password_hash and user.password_hash.startswith("$argon2")
    assert authenticate(session, "JANE@example.com ", PASSWORD).id == user.id


def test_wrong_password_and_unknown_user_are_refused(session):
    create_user(session)
    assert authenticate(session, "marketer@example.com", "wrong password") is None
    assert authenticate(session, "nobody@example.com", PASSWORD) is None
    assert authenticate(session, "not an email", PASSWORD) is None


def test_disabled_user_cannot_log_in(session):
    user = create_user(session)
    user.is_active = False
    session.flush()
    assert authenticate(session, user.email, PASSWORD) is None


def test_bad_user_input_is_refused_with_a_reason(session):
    with pytest.raises(UserError, match="too short"):
        create_user(session, "a@example.com", "marketer", password="short")
    with pytest.raises(ValueError, match="unknown role"):
        create_user(session, "a@example.com", "owner")
    create_user(session, "a@example.com")
    with pytest.raises(UserError, match="already exists"):
        create_user(session, "A@example.com")


def test_first_admin_is_created_once_with_a_generated_password(session):
    generated = ensure_admin(session)
    assert generated is not None
    email, password = generated
    assert authenticate(session, email, password).role == "admin"
    assert ensure_admin(session) is None
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_first_admin_from_settings_prints_nothing(session):
    assert ensure_admin(session, "boss@example.com", "a long password") is None
    assert authenticate(session, "boss@example.com", "a long password").role == "admin"


def test_cli_adds_a_user_with_the_password_from_stdin(db):
    out = subprocess.run([sys.executable, "-m", "cli.main", "users", "add", "rev@example.com", "--role", "reviewer"],
                         input="a good password\n", capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "rev@example.com added with role reviewer" in out.stdout
    with unit_of_work() as uow:
        assert authenticate(uow.session, "rev@example.com", "a good password").role == "reviewer"
