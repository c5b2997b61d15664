"""Build hook (everything else is in pyproject.toml): the wheel carries the Chainlit site that `mkt serve` needs.

app.py, chainlit.md, .chainlit/ and public/ live at the top of the checkout, where `chainlit run app.py` and the
Docker image expect them. A package can only carry files inside it, so the build copies them into
cli/chainlit_site/ of the wheel; `mkt serve` from an installed wheel copies that into MKT_VAR_DIR/chainlit/ (Chainlit
writes beside its app root) and serves from there (cli/commands_run.py: app_root)."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SITE_FILES = ("app.py", "chainlit.md")
SITE_FOLDERS = (".chainlit", "public")


class BuildPyWithSite(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install serves the checkout itself
        target = Path(self.build_lib) / "cli" / "chainlit_site"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in SITE_FILES:
            shutil.copy2(HERE / name, target / name)
        for name in SITE_FOLDERS:
            if (HERE / name).is_dir():
                shutil.copytree(HERE / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithSite})
