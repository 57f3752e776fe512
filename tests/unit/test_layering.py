"""The layering rules of docs/DESIGN.md (« Where queries live »), checked on the source itself.

Each test reads the modules' syntax trees, so a rule broken by a new import or a new query
fails here with the file and line, before a reviewer has to spot it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

CARTE = Path(__file__).resolve().parents[2] / "carte"

# What storage sits on: the models, the shared values, the pure geography, and itself.
STORAGE_MAY_IMPORT = ("carte.storage", "carte.models", "carte.domain", "carte.extensions", "carte.geo")
# setup.py prepares a whole database for `make run` and the tests (migrate, load places, seed the
# themes and the demo content): it orchestrates, and is the one storage module that calls above.
STORAGE_EXCEPTIONS = {("setup.py", "carte.demo")}


def _modules(folder: Path):
    for path in sorted(folder.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imports(tree: ast.AST):
    """(line, absolute module name) of every import, `from carte import demo` giving carte.demo."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "carte":
                for alias in node.names:
                    yield node.lineno, f"carte.{alias.name}"
            else:
                yield node.lineno, node.module


def _rel(path: Path) -> str:
    return str(path.relative_to(CARTE.parent))


def test_storage_imports_nothing_above_it():
    found = []
    for path, tree in _modules(CARTE / "storage"):
        for line, name in _imports(tree):
            if not name.startswith("carte") or name.startswith(STORAGE_MAY_IMPORT):
                continue
            if (path.name, name) not in STORAGE_EXCEPTIONS:
                found.append(f"{_rel(path)}:{line} imports {name}")
    assert found == []


def test_the_exception_is_still_needed():
    """An exception that no longer matches any import is removed from the list, not kept as a loophole."""
    used = {(path.name, name) for path, tree in _modules(CARTE / "storage") for _, name in _imports(tree)}
    assert used >= STORAGE_EXCEPTIONS


SPATIAL_SQL = re.compile(r"\bST_[A-Za-z]+\s*\(", re.IGNORECASE)


def _spatial_function(node: ast.Attribute) -> bool:
    """`func.ST_Within`, `func.st_within` (not `os.stat(...).st_size`)."""
    owner = node.value
    on_func = (
        isinstance(owner, ast.Name) and owner.id == "func" or isinstance(owner, ast.Attribute) and owner.attr == "func"
    )
    return node.attr.startswith("ST_") or on_func and node.attr.lower().startswith("st_")


def _backend_specific(tree: ast.AST):
    """Dialect checks, spatial SQL functions and driver imports: what differs between the backends."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and (node.attr == "dialect" or _spatial_function(node)):
            yield node.lineno, node.attr
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SPATIAL_SQL.search(node.value):
            yield node.lineno, node.value[:40]
    for line, name in _imports(tree):
        if name.startswith(("sqlalchemy.dialects", "geoalchemy2.functions", "psycopg", "sqlean", "sqlite3")):
            yield line, name


def test_backend_differences_live_in_storage_only():
    found = [
        f"{_rel(path)}:{line} {what}"
        for path, tree in _modules(CARTE)
        if "storage" not in path.relative_to(CARTE).parts
        for line, what in _backend_specific(tree)
    ]
    assert found == []


def test_the_scan_sees_backend_code_where_it_is():
    """The scan above would pass on an empty tree: it must at least find storage's own dialect checks."""
    assert any(True for _, tree in _modules(CARTE / "storage") for _ in _backend_specific(tree))


SQL_BUILDERS = {"select", "insert", "update", "delete", "text", "func"}
SESSION_QUERIES = {"execute", "scalars", "scalar", "query"}


def test_routes_build_no_sql():
    """Blueprints call use cases and storage functions; loading one object by primary key is all they do."""
    found = []
    for path, tree in _modules(CARTE / "web"):
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                found += [f"{_rel(path)}:{node.lineno} imports {a.name}" for a in node.names if a.name in SQL_BUILDERS]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in SESSION_QUERIES
            ):
                owner = node.func.value
                if (
                    isinstance(owner, ast.Attribute)
                    and owner.attr == "session"
                    or isinstance(owner, ast.Name)
                    and owner.id == "session"
                ):
                    found.append(f"{_rel(path)}:{node.lineno} session.{node.func.attr}()")
    assert found == []


@pytest.mark.parametrize("package", ["aggregation", "geo"])
def test_pure_core_imports_neither_flask_nor_sqlalchemy(package):
    found = [
        f"{_rel(path)}:{line} imports {name}"
        for path, tree in _modules(CARTE / package)
        for line, name in _imports(tree)
        if name.split(".")[0] in {"flask", "flask_babel", "flask_login", "sqlalchemy", "geoalchemy2"}
        or name.startswith(("carte.web", "carte.storage", "carte.extensions", "carte.models"))
    ]
    assert found == []


def test_domain_values_are_pure():
    tree = ast.parse((CARTE / "domain.py").read_text(encoding="utf-8"))
    names = {name.split(".")[0] for _, name in _imports(tree)}
    assert names <= {"__future__", "secrets", "dataclasses", "datetime", "numpy"}
