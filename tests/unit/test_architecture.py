"""The layout is the architecture: these tests read the source and refuse what would break it.

A page that read the store itself skipped the check and the audit log on its error paths (issue 13,
item 4). The web layer now reads patient data only through the domain's use cases, each of which
authorises and audits, and a web module that reaches a repository fails here. Imports point inward:
clinical depends on nothing of ours, the domain on no adapter.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "alongside"
ADAPTERS = ("web", "store", "fhir", "trials", "reports")
# Imports that break the rule today and are not yet fixed, as (module, imported) pairs. Empty: keep it so.
ALLOWED_OUTWARD_IMPORTS: set[tuple[str, str]] = set()


def modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of_work_members() -> tuple[set[str], set[str]]:
    """The unit of work's public attributes (its repositories and its database session) and its
    public methods, read from store/unit_of_work.py so that a new repository is covered too."""
    tree = ast.parse((PACKAGE / "store" / "unit_of_work.py").read_text())
    unit = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "UnitOfWork")
    methods = {f.name for f in unit.body if isinstance(f, ast.FunctionDef) and not f.name.startswith("_")}
    attributes = {target.attr for node in ast.walk(unit) if isinstance(node, ast.Assign) for target in node.targets
                  if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                  and target.value.id == "self" and not target.attr.startswith("_")}
    return attributes, methods


def _is_unit_of_work(node: ast.expr) -> bool:
    """`uow`, or `<anything>.uow`."""
    return (isinstance(node, ast.Name) and node.id == "uow") or (isinstance(node, ast.Attribute) and node.attr == "uow")


def store_reads(source: str, attributes: set[str]) -> list[str]:
    """Where the source reaches the unit of work's repositories or session: `uow.patients.get(...)`,
    `request.state.uow.records`, `getattr(uow, "carers")`, `repo = uow.access`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in attributes and _is_unit_of_work(node.value):
            found.append(f"line {node.lineno}: uow.{node.attr}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
              and node.args and _is_unit_of_work(node.args[0])):
            found.append(f"line {node.lineno}: getattr(uow, ...)")
    return found


def imported_modules(module: str, source: str, is_package: bool = False) -> list[str]:
    """Every module the source imports, relative imports resolved, those inside functions included."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module_path = ".".join(base + ([node.module] if node.module else []))
            found += [module_path] if node.module else [f"{module_path}.{alias.name}" for alias in node.names]
    return found


def outward_imports(layer: str, forbidden: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(module_name(path), imported) for path in modules(layer)
            for imported in imported_modules(module_name(path), path.read_text(), path.name == "__init__.py")
            if any(imported == f"alongside.{f}" or imported.startswith(f"alongside.{f}.") for f in forbidden)
            and (module_name(path), imported) not in ALLOWED_OUTWARD_IMPORTS]


# --- The web layer reads through use cases -------------------------------------------------------

def test_the_unit_of_work_is_read_for_its_repositories_and_methods():
    attributes, methods = unit_of_work_members()
    assert {"patients", "records", "access", "audit", "carers", "teams", "db"} <= attributes
    assert {"commit", "rollback"} <= methods


@pytest.mark.parametrize("path", modules("web"), ids=lambda p: p.name)
def test_no_web_module_reaches_a_repository(path):
    attributes, _ = unit_of_work_members()
    assert store_reads(path.read_text(), attributes) == [], (
        f"{path.name} reads the store itself; call a domain use case that authorises and audits "
        "(domain/reading.py has the small ones pages need)")


@pytest.mark.parametrize("source, found", [
    ("patient = uow.patients.get(patient_id)", ["line 1: uow.patients"]),
    ("may = uow.access.relationship(actor, pid).value", ["line 1: uow.access"]),
    ("rows = request.state.uow.records.list(pid, kind)", ["line 1: uow.records"]),
    ("repo = uow.carers", ["line 1: uow.carers"]),
    ("uow.db.execute(statement)", ["line 1: uow.db"]),
    ("repo = getattr(uow, 'teams')", ["line 1: getattr(uow, ...)"]),
    ("def f(uow):\n    uow.commit()\n    uow.rollback()", []),
    ("patient = services.read_patient(uow, actor, patient_id)", []),
    ("sessions = request.app.state.sessions", []),
], ids=["repository call", "relationship", "through an attribute", "alias", "session", "getattr", "commit",
        "use case", "other objects' attributes"])
def test_the_rule_tells_a_store_read_from_a_use_case(source, found):
    attributes, _ = unit_of_work_members()
    assert store_reads(source, attributes) == found


def test_a_new_repository_is_refused_too():
    """The attribute names come from the unit of work, not from a list kept here."""
    attributes, _ = unit_of_work_members()
    assert store_reads("uow.prescriptions.list(pid)", attributes) == []
    assert store_reads("uow.prescriptions.list(pid)", attributes | {"prescriptions"}) == ["line 1: uow.prescriptions"]


# --- Imports point inward ------------------------------------------------------------------------

def test_clinical_imports_nothing_of_ours_outside_clinical():
    others = tuple(p.name for p in PACKAGE.iterdir() if p.name != "clinical" and not p.name.startswith("_"))
    outward = outward_imports("clinical", tuple(name.removesuffix(".py") for name in others))
    assert outward == [], "clinical rules are pure: they may import only other clinical rules"


def test_the_domain_imports_no_adapter():
    assert outward_imports("domain", ADAPTERS) == [], "the domain knows nothing of HTTP, SQL, FHIR, trials or reports"


@pytest.mark.parametrize("source, found", [
    ("from ..store import tables", ["alongside.store"]),
    ("from . import services, access", ["alongside.domain.services", "alongside.domain.access"]),
    ("from .records import kind", ["alongside.domain.records"]),
    ("def later():\n    from ..web.pages import render", ["alongside.web.pages"]),
    ("import alongside.fhir.export", ["alongside.fhir.export"]),
], ids=["parent package", "sibling modules", "sibling module", "inside a function", "absolute"])
def test_imports_are_resolved_relative_to_their_package(source, found):
    assert imported_modules("alongside.domain.example", source) == found


def test_a_package_resolves_from_itself():
    assert imported_modules("alongside.clinical", "from .units import convert", is_package=True) == [
        "alongside.clinical.units"]
