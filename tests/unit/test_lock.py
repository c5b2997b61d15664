"""The locks (requirements.lock for the image, requirements-dev.lock for `make install`) agree with pyproject.toml:
every dependency it declares is pinned at a version its range allows, nothing is pinned as a direct dependency
that it no longer declares, the runtime lock is the dev lock without the dev tools, and every pin carries
hashes. After editing pyproject.toml, `make lock` rewrites both."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
HOW = "run `make lock` after changing pyproject.toml"


def parse_lock(path: Path) -> dict[str, tuple[str, bool, set[str]]]:
    """name -> (version, has hashes, what it is there for: the `# via` names)."""
    out: dict[str, tuple[str, bool, set[str]]] = {}
    for block in re.split(r"\n(?=\S)", path.read_text()):
        head = re.match(r"([A-Za-z0-9_.\-\[\]]+)==([^\s;\\]+)", block)
        if not head:
            continue
        via = set(re.findall(r"#\s+(?:via\s+)?([\w.\-]+(?: \(pyproject\.toml\))?)\s*$", block, re.M))
        out[canonicalize_name(head.group(1).split("[")[0])] = (head.group(2), "--hash=sha256:" in block, via)
    return out


RUNTIME = parse_lock(ROOT / "requirements.lock")
DEV = parse_lock(ROOT / "requirements-dev.lock")


def declared(extra: str | None) -> list[Requirement]:
    deps = PYPROJECT["project"]["dependencies"] if extra is None else PYPROJECT["project"]["optional-dependencies"][extra]
    return [Requirement(d) for d in deps]


def direct(lock: dict[str, tuple[str, bool, set[str]]]) -> set[str]:
    return {name for name, (_, _, via) in lock.items() if "mkt (pyproject.toml)" in via}


def test_every_declared_dependency_is_pinned_within_its_range():
    for lock, reqs in ((RUNTIME, declared(None)), (DEV, declared(None) + declared("dev"))):
        for req in reqs:
            name = canonicalize_name(req.name)
            assert name in lock, f"{req} is not in the lock: {HOW}"
            assert req.specifier.contains(lock[name][0], prereleases=True), \
                f"{name}=={lock[name][0]} is outside {req.specifier}: {HOW}"


def test_the_locks_pin_no_dependency_pyproject_dropped():
    assert direct(RUNTIME) == {canonicalize_name(r.name) for r in declared(None)}, HOW
    assert direct(DEV) == {canonicalize_name(r.name) for r in declared(None) + declared("dev")}, HOW


def test_runtime_lock_is_the_dev_lock_less_the_dev_tools():
    for name, (version, _, _) in RUNTIME.items():
        assert name in DEV and DEV[name][0] == version, f"{name}: {version} vs {DEV.get(name)}: {HOW}"


def test_every_pin_carries_hashes():
    for lock in (RUNTIME, DEV):
        assert lock and all(has for _, has, _ in lock.values())


def test_private_apis_have_upper_bounds():
    """domain/phone_fast.py reads phonenumbers' internals and CPython's re._parser (guarded by fast_path_fits)."""
    phone = next(r for r in declared(None) if r.name == "phonenumbers")
    assert any(s.operator in ("<", "<=", "==", "~=") for s in phone.specifier), phone
    assert any(s.operator == "<" for s in Requirement(f"python{PYPROJECT['project']['requires-python']}").specifier)
