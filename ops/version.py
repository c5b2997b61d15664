"""The version of mkt: `mkt --version`, Sentry's release, the start-up banner."""

from __future__ import annotations


def version() -> str:
    """The installed distribution's version; from pyproject.toml where mkt runs from a copy of the sources (the
    Docker image puts them on PYTHONPATH without installing them)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("mkt")
    except PackageNotFoundError:
        import tomllib

        from settings import ROOT

        return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
