"""The tree shows the architecture: which package may import which, and nothing in a circle.

Reads every module's imports (including those inside functions) with `ast`; see the docstring
of projects/__init__.py for the rules.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("khuyencong", "facilities", "projects")
# Configuration modules of the core may import every app (settings, URLs, the Celery app).
CONFIGURATION = {"khuyencong.settings", "khuyencong.urls", "khuyencong.celery", "khuyencong.wsgi"}
CAPABILITIES = (
    "planning",
    "applications",
    "closeout",
    "detail",
    "reminders",
    "process",
    "reports",
)
# capability → the capabilities it may import (besides itself and projects.models).
ALLOWED = {
    "planning": set(),
    "applications": {"planning"},
    "closeout": {"planning", "applications"},
    "detail": {"planning", "applications", "closeout"},
    "reminders": {"planning", "applications", "closeout", "process"},
    "process": {"planning", "applications", "closeout"},
    "reports": {"planning", "applications", "closeout", "process"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name.split(".")[0] in APPS}


MODULES = project_modules()
IMPORTS = {name: imports_of(path) for name, path in MODULES.items()}


def capability(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "projects" and len(parts) > 1 and parts[1] in CAPABILITIES:
        return parts[1]
    return None


def test_the_core_imports_no_app():
    wrong = [
        f"{module} imports {name}"
        for module, names in IMPORTS.items()
        if module.startswith("khuyencong") and module not in CONFIGURATION
        for name in names
        if name.startswith(("facilities", "projects"))
    ]
    assert not wrong


def test_facilities_never_import_projects():
    wrong = [
        f"{module} imports {name}"
        for module, names in IMPORTS.items()
        if module.startswith("facilities")
        for name in names
        if name.startswith("projects")
    ]
    assert not wrong


def test_each_capability_imports_only_what_comes_before_it():
    wrong = []
    for module, names in IMPORTS.items():
        mine = capability(module)
        if mine is None:
            continue
        for name in names:
            theirs = capability(name)
            if theirs and theirs != mine and theirs not in ALLOWED[mine]:
                wrong.append(f"{module} imports {name}")
    assert not wrong


def test_no_capability_file_carries_a_capability_prefix():
    loose = sorted(
        path.name
        for path in (ROOT / "projects").glob("*.py")
        if path.stem not in {"__init__", "admin", "apps", "urls"}
    )
    assert not loose, f"modules outside a capability package: {loose}"


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2]) if capability(module) else module.split(".")[0]


@pytest.mark.parametrize("level", ["module", "package"])
def test_nothing_imports_in_a_circle(level):
    graph: dict[str, set[str]] = {}
    for module, names in IMPORTS.items():
        if module in CONFIGURATION:
            continue
        source = module if level == "module" else _package(module)
        for name in names:
            target = name if name in MODULES else name.rsplit(".", 1)[0]
            if target not in MODULES or target in CONFIGURATION:
                continue
            if level == "package":
                target = _package(target)
            if target != source:
                graph.setdefault(source, set()).add(target)
    if level == "package":
        # The app-level arrows are checked above; here only the capabilities inside projects.
        graph = {k: {v for v in vs if capability(v)} for k, vs in graph.items() if capability(k)}
    assert _cycle(graph) is None, " → ".join(_cycle(graph))
