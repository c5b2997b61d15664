"""The import graph of our packages, read from the source with ast (imports inside functions count too, as do
`importlib.import_module("literal")` calls): no circles, and arrows point inward (AGENTS.md, Layers)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("agent", "cli", "db", "domain", "integrations", "ops", "tools", "webhooks", "workers")
TOP_MODULES = ("settings", "app")
# room -> rooms of ours it must never import
FORBIDDEN = {
    "domain": {"agent", "cli", "db", "integrations", "ops", "tools", "webhooks", "workers", "settings", "app"},
    "integrations": {"db", "tools", "agent", "cli", "webhooks", "workers"},
    "tools": {"agent", "webhooks", "workers", "cli"},
    # inside agent/: the Chainlit UI sits on top; the offline model is a chat model that knows no tool or graph
    "agent.core": {"agent.ui"},
    "agent.tools": {"agent.ui"},
    "agent.offline": {"agent.ui", "agent.core", "agent.tools"},
}


def modules() -> dict[str, Path]:
    found = {name: ROOT / f"{name}.py" for name in TOP_MODULES}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imported_names(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names += [f"{node.module}.{alias.name}" for alias in node.names]  # a submodule, or a name in module
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            names.append(node.args[0].value)
    return names


def graph() -> dict[str, set[str]]:
    """module -> modules of ours it imports."""
    mods = modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    arrows: dict[str, set[str]] = defaultdict(set)
    for name, path in mods.items():
        for target in imported_names(ast.parse(path.read_text(), str(path))):
            resolved = resolve(target)
            if resolved and resolved != name:
                arrows[name].add(resolved)
                arrows[name].update(_parents(resolved, name, mods))
    return arrows


def _parents(module: str, importer: str, mods: dict[str, Path]) -> set[str]:
    """The packages Python runs first when `importer` imports `module` from outside them (their __init__)."""
    parts = module.split(".")
    packages = {".".join(parts[:i]) for i in range(1, len(parts))}
    return {p for p in packages if p in mods and importer != p and not importer.startswith(p + ".")}


def circles(arrows: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(arrows):
        if start in index:
            continue
        work = [(start, iter(sorted(arrows[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(arrows.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def room(module: str) -> str:
    return module.split(".")[0]


def rooms(module: str) -> list[str]:
    """The rooms a module is in, outermost first: "agent.core.graph" -> ["agent", "agent.core", "agent.core.graph"]."""
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def test_the_graph_sees_imports_at_the_top_inside_functions_and_by_importlib():
    tree = ast.parse("import a.b\nfrom c import d\ndef f():\n    from e.f import g\n"
                     "importlib.import_module('h.i')\n")
    assert imported_names(tree) == ["a.b", "c.d", "e.f.g", "h.i"]
    arrows = graph()
    assert "db.jobs" in arrows["tools.campaigns.lifecycle"] and "workers.broker" in arrows["workers.actors"]
    fallback, optional = (ast.parse(f"try:\n    from {m} import x\nexcept ImportError:\n    x = None\n").body[0]
                          for m in ("tools.imports.importer", "chainlit.data"))
    assert _falls_back_on_ours(fallback) and not _falls_back_on_ours(optional)
    mods = {"a": Path("a/__init__.py"), "a.b": Path("a/b/__init__.py"), "a.b.c": Path("a/b/c.py")}
    assert _parents("a.b.c", "x.y", mods) == {"a", "a.b"}  # importing a.b.c runs a and a.b's __init__ first
    assert _parents("a.b.c", "a.b.d", mods) == set()  # ... which are already running for their own modules
    assert rooms("agent.core.graph") == ["agent", "agent.core", "agent.core.graph"]


def test_the_circle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles():
    assert circles(graph()) == []


def test_arrows_point_inward():
    wrong = sorted(f"{source} -> {target}" for source, targets in graph().items() for target in targets
                   for inner in rooms(source) if set(rooms(target)) & FORBIDDEN.get(inner, set()))
    assert wrong == []


def _falls_back_on_ours(node: ast.Try) -> bool:
    """A try that imports one of our modules and catches ImportError (an optional third-party package is fine)."""
    catches = any(h.type is not None and "ImportError" in {n.id for n in ast.walk(h.type) if isinstance(n, ast.Name)}
                  for h in node.handlers)
    ours = (*PACKAGES, *TOP_MODULES)
    return catches and any(name.split(".")[0] in ours for stmt in node.body for name in imported_names(stmt))


FALLBACKS_CHECKED = ("agent", "tools", "webhooks")


def test_no_imports_by_name_or_import_error_fallbacks_in_agent_tools_and_webhooks():
    """Tools are registered statically: a module that fails to import fails start-up and the tests, instead of
    its capability disappearing with a log line."""
    found = []
    for name, path in modules().items():
        if room(name) not in ("agent", "tools", "webhooks"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom) and "importlib" in (
                    [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]):
                found.append(f"{name}: importlib")
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "landed":
                found.append(f"{name}: landed()")
            if isinstance(node, ast.Try) and room(name) in FALLBACKS_CHECKED and _falls_back_on_ours(node):
                found.append(f"{name}:{node.lineno}: except ImportError around an import of ours")
    assert found == []
