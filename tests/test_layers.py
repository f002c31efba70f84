"""Who may import whom (DESIGN.md "The three layers"), checked on the source, so a new module that
breaks the shape fails here rather than in review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "helpdesk"


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (imports inside functions count too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def offenders(folder: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        bad = sorted(
            name
            for name in imported_modules(path)
            if any(name == f or name.startswith(f + ".") for f in forbidden)
        )
        if bad:
            found[str(path.relative_to(PACKAGE))] = bad
    return found


def test_services_never_import_the_web_layer_or_a_blueprint():
    blueprints = ("auth", "portal", "tracker", "billing", "system", "admin", "helpcentre")
    forbidden = ("helpdesk.web", *(f"helpdesk.{name}.views" for name in blueprints))
    assert offenders("services", forbidden) == {}


def test_rules_use_neither_flask_nor_the_database():
    forbidden = ("flask", "sqlalchemy", "flask_sqlalchemy", "helpdesk.models", "helpdesk.services")
    assert offenders("rules", forbidden) == {}


def test_services_are_grouped_by_area_with_no_module_left_flat():
    flat = [p.name for p in (PACKAGE / "services").glob("*.py") if p.name != "__init__.py"]
    assert flat == []
    areas = sorted(p.name for p in (PACKAGE / "services").iterdir() if (p / "__init__.py").exists())
    assert len(areas) >= 8


@pytest.mark.parametrize("source", ["from helpdesk.web.htmx import render", "import flask"])
def test_the_check_sees_a_forbidden_import(tmp_path, source):
    module = tmp_path / "m.py"
    module.write_text(f"def f():\n    {source}\n")
    names = imported_modules(module)
    assert any(n.startswith(("helpdesk.web", "flask")) for n in names)
