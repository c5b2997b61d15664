"""Run mutmut's mutants of one module in ONE pytest process (a pytest plugin; not collected as a test).

mutmut 3 runs one process per mutant; for modules whose tests need a database that start-up dominates. This plugin
collects the given tests once, then for each mutant swaps the mutant's function code (from the `mutants/` tree
`mutmut run` generated: it writes every mutant of every configured file there at the start, even ones its run has
not reached) into the imported module, runs the tests until one fails, and restores the code. A mutant is "killed"
when a test fails or errors, "timeout" past MUT_TIMEOUT seconds in one test, "survived" otherwise. The tests are
run once unmutated first; if that fails nothing else is run.

    # once: let mutmut generate mutants/ (stop it after "generating mutants" if you only want the files)
    .venv/bin/mutmut run "tools.imports.batch.*"
    # then, from the repository root, with the tests of [tool.mutmut]'s selection that reach the module:
    MUTPATH=tools/imports/batch.py MUTFUNCS="x_apply_batch x__match" MUTOUT=/tmp/batch.txt \
        .venv/bin/python -m pytest -p tests.mutants_in_process -p no:cacheprovider -q -m "not redis and not slow" \
        tests/integration/test_import_rules.py ...
    # on PostgreSQL: prefix MKT_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test

Environment:
    MUTPATH     the module's file (tools/imports/batch.py); the module name is derived from it
    MUTDIR      the mutants tree (default: mutants/, where mutmut writes it)
    MUTANTS     mutant names to run (x_apply_batch__mutmut_3 ...; a "module." prefix is ignored); default: all
    MUTFUNCS    else only the mutants of these functions (x_apply_batch, xǁFileDedupǁprepare ...)
    MUTOUT      result file, one line per mutant, appended (default: mutants_in_process.txt)
    MUT_TIMEOUT seconds per test before the mutant counts as a timeout (default 60)
    MUTCLEAR    module-level tables to empty (`.clear()`) with the caches, e.g. "domain.phone_fast._COUNTRIES": a
                table filled by the unmutated code would hide the mutant

Every functools cache of our packages is emptied before each run (a cached table or answer would hide the mutant).
Limits: code run in other processes (worker pools) is not mutated; the swapped function keeps the module's globals
as they were when the mutant was compiled (a copy), which is what the module's own code sees too."""

import __future__

import ast
import importlib
import os
import re
import signal
import time
from pathlib import Path

import pytest
from _pytest.runner import runtestprotocol


class _Timeout(BaseException):
    pass


def _alarm(signum, frame):  # noqa: ARG001
    raise _Timeout()


def mutant_sources(path: str) -> dict[str, str]:
    """Every mutant function of the mutated file, by name, dedented to column 0."""
    src = (Path(os.environ.get("MUTDIR", "mutants")) / path).read_text()
    lines = src.splitlines()
    out = {}
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.FunctionDef) and re.search(r"__mutmut_\d+$", node.name):
            body = lines[node.lineno - 1:node.end_lineno]
            out[node.name] = "\n".join([body[0][node.col_offset:], *body[1:]])
    return out


def _target(mod, short: str):
    """The live function (or method) a mutant replaces, and its plain name."""
    base = short.rsplit("__mutmut_", 1)[0][2:]
    if "ǁ" in base:  # a method: xǁClassǁmethod (base is then "Classǁmethod")
        cls, meth = base.split("ǁ")[-2:]
        found = vars(getattr(mod, cls))[meth]  # a classmethod or a property: the function it wraps
        return getattr(found, "__func__", None) or getattr(found, "fget", None) or found, meth
    return getattr(mod, base), base


def clear_caches() -> None:
    """Empty every functools cache of our packages: a table built or an answer cached by the unmutated code (or by
    the previous mutant) must not stand in for the mutant's own."""
    import sys

    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in ("domain", "tools", "db", "agent", "workers", "webhooks", "integrations"):
            for value in list(vars(module).values()):
                try:
                    clear = getattr(value, "cache_clear", None)
                except Exception:  # noqa: BLE001 - a lazy module (chainlit's) raises KeyError, not AttributeError
                    continue
                if callable(clear):
                    clear()
    for name in os.environ.get("MUTCLEAR", "").split():
        module, attr = name.rsplit(".", 1)
        getattr(sys.modules[module], attr).clear()


def _run_items(items, limit: int) -> tuple[str, str]:
    clear_caches()
    for item in items:
        signal.alarm(limit)
        try:
            reports = runtestprotocol(item, log=False, nextitem=None)
        except _Timeout:
            return "timeout", item.nodeid
        finally:
            signal.alarm(0)
        if any(r.failed for r in reports):
            return "killed", item.nodeid
    return "survived", ""


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    path = os.environ["MUTPATH"]
    mod = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    sources = mutant_sources(path)
    if os.environ.get("MUTANTS"):
        names = [n.split(".")[-1] for n in os.environ["MUTANTS"].split()]
    else:
        funcs = os.environ.get("MUTFUNCS", "").split()
        names = [n for n in sources if not funcs or n.rsplit("__mutmut_", 1)[0] in funcs]
        names.sort(key=lambda n: (n.rsplit("__mutmut_", 1)[0], int(n.rsplit("_", 1)[1])))
    limit = int(os.environ.get("MUT_TIMEOUT", "60"))
    signal.signal(signal.SIGALRM, _alarm)
    with open(os.environ.get("MUTOUT", "mutants_in_process.txt"), "a") as out:
        verdict, where = _run_items(session.items, limit)
        if verdict != "survived":
            out.write(f"BASELINE {verdict.upper()} {where}: nothing run\n")
            return True
        for short in names:
            target, base = _target(mod, short)
            src = re.sub(rf"\b{re.escape(short)}\b", base, sources[short], count=1)
            wrap = "__class__" in target.__code__.co_freevars  # super(): compiled in a class, for its cell
            if wrap:
                src = "class _MutWrap:\n" + "\n".join("    " + line for line in src.splitlines())
            namespace = dict(mod.__dict__)
            exec(compile(src, f"<{short}>", "exec", flags=__future__.annotations.compiler_flag,  # noqa: S102
                         dont_inherit=True), namespace)
            new = vars(namespace["_MutWrap"])[base] if wrap else namespace[base]
            saved = (target.__code__, target.__defaults__, target.__kwdefaults__)
            target.__code__, target.__defaults__, target.__kwdefaults__ = (new.__code__, new.__defaults__,
                                                                           new.__kwdefaults__)
            start = time.time()
            try:
                verdict, where = _run_items(session.items, limit)
            finally:
                target.__code__, target.__defaults__, target.__kwdefaults__ = saved
                clear_caches()
            out.write(f"{short} {verdict} {where} {time.time() - start:.1f}s\n")
            out.flush()
    return True
