"""The role x tool matrix (issue 11): every tool the chat agent can call, called by every role straight through its
wiring (bypassing the agent's own role check), so that the tools/ layer's `require` is what is tested: a role that
lacks the tool's permission is refused with PermissionDenied before anything happens; a role that has it is never
refused (the call may still fail on the made-up arguments: a missing contact, an unknown campaign, and so on).

The matrix is built from the agent's registry, so a tool added later is covered at once."""

from __future__ import annotations

import types
import typing
from datetime import date
from pathlib import Path

import pytest
from pydantic import BaseModel

from agent.tools.registry import all_specs
from domain.roles import PermissionDenied, Role, can
from settings import get_settings
from tools.users import Actor

SPECS = sorted(all_specs(), key=lambda s: s.name)
UPLOAD = "matrix.csv"
OVERRIDES: dict[str, dict[str, typing.Any]] = {"import_contacts": {"file": UPLOAD}}  # a real upload to reach the tool


def made_up(annotation: typing.Any) -> typing.Any:
    """A plausible value of a type: enough to get past the wiring to the tool's own checks."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return args[0]
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        return made_up(options[0]) if options else None
    simple = {str: "1", int: 1, float: 1.0, bool: False, date: date(2026, 1, 1)}
    if annotation in simple:
        return simple[annotation]
    if annotation is list or origin is list:
        return []
    if annotation is dict or origin is dict:
        return {}
    return None


def made_up_args(name: str, model: type[BaseModel]) -> BaseModel:
    values = {field: (info.default if not info.is_required() and info.default is not None else made_up(info.annotation))
              for field, info in model.model_fields.items()}
    return model.model_construct(**{**values, **OVERRIDES.get(name, {})})


@pytest.fixture
def upload() -> None:
    folder = Path(get_settings().var_dir) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / UPLOAD).write_text("email,first_name\nmatrix@example.com,Matrix\n")


def test_the_matrix_covers_every_permission_that_some_role_lacks():
    assert len(SPECS) >= 20
    guarded = {spec.permission for spec in SPECS if not all(can(role, spec.permission) for role in Role)}
    assert len(guarded) >= 5, guarded


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_each_role_is_refused_exactly_the_tools_its_permissions_do_not_cover(session, upload, spec, role):
    actor = Actor(email=f"{role}@example.com", role=role)
    refused = False
    try:
        spec.run(session, actor, made_up_args(spec.name, spec.args))
    except PermissionDenied:
        refused = True
    except Exception:  # noqa: BLE001, S110 - made-up arguments may fail past the role check; that is allowed
        pass
    finally:
        session.rollback()
    if can(role, spec.permission):
        assert not refused, f"{role} has '{spec.permission}' but {spec.name} refused it"
    else:
        assert refused, f"{role} lacks '{spec.permission}' but the tools layer did not refuse {spec.name}"
