"""The layering of ARCHITECTURE.md, checked on the source: who may import what."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "receptionist"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE).as_posix(), imports_of(path)


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("rel, imported", list(modules()), ids=lambda v: v if isinstance(v, str) else "")
def test_layering(rel, imported):
    roots = {top(i) for i in imported}
    if "PySide6" in roots:
        assert rel.startswith("ui/"), f"{rel} imports PySide6: only receptionist/ui may"
    if "sqlalchemy" in roots or "alembic" in roots:
        assert rel.startswith(("store/", "migrations/")), f"{rel} imports SQLAlchemy/Alembic: only the store may"
    ours = {i for i in imported if top(i) == "receptionist"}
    if rel.startswith("domain/"):
        assert all(i.startswith("receptionist.domain") for i in ours), f"domain module {rel} imports {ours}"
    if not rel.startswith("ui/") and rel != "cli.py":  # the entry point starts the window
        assert not any(i.startswith("receptionist.ui") for i in ours), f"{rel} imports the UI"
    if rel.startswith("ui/"):  # the window talks to the service layer and the event bus, never the pieces behind
        banned = ("receptionist.store", "receptionist.sync", "receptionist.ingest", "receptionist.app")
        assert not any(i.startswith(banned) for i in ours), f"{rel} reaches past the service: {ours}"
    if rel.startswith(("store/", "providers/", "ingest/", "sync/")):
        assert not any(i.startswith(("receptionist.app", "receptionist.cli")) for i in ours), rel
    # The product never imports its stand-ins: cli.py reaches them by name at run time (``_sandbox``), so a
    # location build can leave the receptionist_sandbox package out.
    assert not any(top(i) == "receptionist_sandbox" for i in imported), f"{rel} imports the sandbox"


def test_the_sandbox_is_a_package_of_its_own():
    sandbox = PACKAGE.parent / "receptionist_sandbox"
    assert (sandbox / "__init__.py").is_file() and not (PACKAGE / "sandbox").exists()
