"""The repository's layout and pyproject's package list agree: a package not listed is not in the wheel.

``resources/`` and ``migrations/`` sit at the top of the repository and are mapped into the package
(``package-dir``), so setuptools cannot find the packages itself; this keeps the hand-written list honest without
building a wheel (tests/packaging/test_wheel.py builds one)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
PACKAGE_DIR = SETUPTOOLS["package-dir"]


def _package_of(folder: Path) -> str:
    """The package name a source folder goes into the wheel as."""
    rel = folder.relative_to(ROOT).as_posix()
    for package, mapped in PACKAGE_DIR.items():
        if rel == mapped or rel.startswith(mapped + "/"):
            return package + rel[len(mapped):].replace("/", ".")
    return rel.replace("/", ".")


def _source_folder(package: str) -> Path:
    for name, mapped in PACKAGE_DIR.items():
        if package == name or package.startswith(name + "."):
            return ROOT / mapped / package[len(name) + 1:].replace(".", "/")
    return ROOT / package.replace(".", "/")


def test_the_top_level_folders_go_inside_the_package():
    assert PACKAGE_DIR == {"receptionist.migrations": "migrations", "receptionist.resources": "resources"}
    assert (ROOT / "migrations" / "alembic.ini").is_file() and (ROOT / "resources" / "style").is_dir()


def test_every_folder_of_python_code_is_a_listed_package():
    folders = {p.parent for top in ("receptionist", "receptionist_sandbox", "migrations")
               for p in (ROOT / top).rglob("*.py") if "__pycache__" not in p.parts}
    unlisted = {_package_of(folder) for folder in folders} - set(SETUPTOOLS["packages"])
    assert not unlisted, f"add {sorted(unlisted)} to [tool.setuptools] packages in pyproject.toml"


def test_every_listed_package_has_its_folder():
    missing = [p for p in SETUPTOOLS["packages"] if not _source_folder(p).is_dir()]
    assert not missing, f"listed in pyproject.toml but not in the tree: {missing}"
