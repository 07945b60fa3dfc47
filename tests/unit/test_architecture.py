"""The layout holds: no import cycles (imports inside functions included), services free of the web
layer, and the services folder grouped by domain. import-linter (`make check`) states the layers; these
tests state what its contracts cannot."""

import ast
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
CRM = ROOT / "crm"


@pytest.fixture(scope="module")
def graph():
    # Imports under `if TYPE_CHECKING:` never run: they let two models name each other in annotations
    # (a problem's group, a group's problems) without a runtime import in both directions.
    return grimp.build_graph("crm", include_external_packages=True, exclude_type_checking_imports=True)


def _cycles(graph) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    modules = sorted(m for m in graph.modules if m.startswith("crm"))
    edges = {
        m: sorted(n for n in graph.find_modules_directly_imported_by(m) if n.startswith("crm"))
        for m in modules
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            if i < len(edges[node]):
                work.append((node, i + 1))
                nxt = edges[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = set()
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.add(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def test_no_import_cycles_between_project_modules(graph):
    assert _cycles(graph) == []


def test_cycle_finder_sees_a_cycle():
    g = grimp.ImportGraph()
    for name in ("crm.a", "crm.b", "crm.c"):
        g.add_module(name)
    g.add_import(importer="crm.a", imported="crm.b")
    g.add_import(importer="crm.b", imported="crm.a")
    g.add_import(importer="crm.c", imported="crm.a")
    assert _cycles(g) == [{"crm.a", "crm.b"}]


@pytest.mark.parametrize("package", ["services", "reporting", "demo", "models"])
def test_lower_layers_never_read_the_request(package):
    offenders = []
    for path in (CRM / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "flask":
                if any(alias.name in {"request", "session"} for alias in node.names):
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_services_are_grouped_by_domain():
    loose = sorted(p.name for p in (CRM / "services").glob("*.py") if p.name != "__init__.py")
    assert len(loose) <= 8, loose
    packages = [p for p in (CRM / "services").iterdir() if (p / "__init__.py").exists()]
    for package in packages:
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
        assert doc, f"{package.name}/__init__.py says what lives there"


def test_no_demo_code_among_the_services():
    assert not [p for p in (CRM / "services").rglob("*.py") if "demo" in p.name]
