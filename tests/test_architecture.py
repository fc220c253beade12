"""The architecture of docs/ARCHITECTURE.md, checked on the source (parsed, never imported; PySide6 only to know which
methods are Qt's): who may import what, how big a module or a class may grow, no import cycles, and no product code
that only tests call."""

import ast
import tomllib
from collections import defaultdict, deque
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "receptionist"
SANDBOX = ROOT / "receptionist_sandbox"

MAX_MODULE_LINES = 800
MAX_PUBLIC_METHODS = 30


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


# Who may import whom, of ours: the table of docs/ARCHITECTURE.md ("The rooms of receptionist/"). A room is a
# package (``store``) or a top-level module (``commands``); a room not named here may import anything but the UI.
MAY_IMPORT = {
    "domain": {"domain"},
    "store": {"domain", "errors", "paths", "store"},
    "providers": {"domain", "errors", "config", "logs", "providers"},
    "ingest": {"domain", "store", "errors", "config", "events", "serving", "ingest"},
    "sync": {"domain", "store", "errors", "config", "events", "sync"},
    "services": {"domain", "store", "sync", "ingest", "errors", "config", "events", "services"},
    "ui": {"domain", "services", "errors", "events", "config", "paths", "onboarding", "ui"},
    "commands": {"domain", "errors", "services", "cli_input"},
    "cli_availability": {"domain", "errors", "services", "cli_input"},
    "cli_input": {"domain", "errors"},
}
STARTS_THE_WINDOW = {"cli"}  # the entry point; nothing else imports the UI


def room_of(rel: str) -> str:
    return rel.split("/")[0].removesuffix(".py")


@pytest.mark.parametrize("rel, imported", list(modules()), ids=lambda v: v if isinstance(v, str) else "")
def test_layering(rel, imported):
    roots = {top(i) for i in imported}
    if "PySide6" in roots:
        assert rel.startswith("ui/"), f"{rel} imports PySide6: only receptionist/ui may"
    if "sqlalchemy" in roots or "alembic" in roots:
        assert rel.startswith(("store/", "migrations/")), f"{rel} imports SQLAlchemy/Alembic: only the store may"
    room = room_of(rel)
    rooms = {i.split(".")[1] for i in imported if top(i) == "receptionist" and "." in i}
    allowed = MAY_IMPORT.get(room)
    if allowed is not None:
        assert rooms <= allowed, f"{rel} ({room}/) imports {sorted(rooms - allowed)}: docs/ARCHITECTURE.md allows " \
                                 f"{sorted(allowed)}"
    elif room not in STARTS_THE_WINDOW:
        assert "ui" not in rooms, f"{rel} imports the UI"
    # The product never imports its stand-ins: cli.py reaches them by name at run time (``_sandbox``), so a
    # location build can leave the receptionist_sandbox package out.
    assert not any(top(i) == "receptionist_sandbox" for i in imported), f"{rel} imports the sandbox"


def test_the_rooms_table_names_only_rooms_that_exist():
    existing = {room_of(rel) for rel, _ in modules()}
    assert set(MAY_IMPORT) <= existing and all(allowed <= existing for allowed in MAY_IMPORT.values())


def test_the_sandbox_is_a_package_of_its_own():
    sandbox = PACKAGE.parent / "receptionist_sandbox"
    assert (sandbox / "__init__.py").is_file() and not (PACKAGE / "sandbox").exists()


# --- the source, parsed once -------------------------------------------------------------------------------------


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def sources() -> dict[str, tuple[Path, str, ast.Module]]:
    """Every module of receptionist/: dotted name → (path, text, tree)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        out[module_name(path)] = (path, text, ast.parse(text, str(path)))
    return out


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# --- a. size of a module --------------------------------------------------------------------------------------------


def long_modules() -> list[str]:
    return [f"{rel(path)}: {n} lines" for path, text, _ in sources().values()
            if (n := len(text.splitlines())) > MAX_MODULE_LINES]


def test_no_module_is_over_800_lines():
    offenders = long_modules()
    assert not offenders, f"modules over {MAX_MODULE_LINES} lines (split them):\n" + "\n".join(offenders)


# --- b. size of a class ---------------------------------------------------------------------------------------------


def classes(tree: ast.AST):
    """Classes at module level and inside classes (not those made inside a function)."""
    for node in getattr(tree, "body", ()):
        if isinstance(node, ast.ClassDef):
            yield node
            yield from classes(node)


def public_methods(cls: ast.ClassDef) -> set[str]:
    """Names of its public defs (properties included; a property's setter is the same name)."""
    return {n.name for n in cls.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith("_")}


def big_classes() -> list[str]:
    return [f"{rel(path)}: {cls.name} has {n} public methods"
            for path, _, tree in sources().values() for cls in classes(tree)
            if (n := len(public_methods(cls))) > MAX_PUBLIC_METHODS]


def test_no_class_has_more_than_30_public_methods():
    offenders = big_classes()
    assert not offenders, f"classes with more than {MAX_PUBLIC_METHODS} public methods (split them):\n" + \
        "\n".join(offenders)


# --- c. import cycles -----------------------------------------------------------------------------------------------


def type_checking_only(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def import_nodes(tree: ast.AST):
    """Every import that runs: at module level and inside functions (lazy imports), but not under
    ``if TYPE_CHECKING:`` (never executed: annotations only)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and type_checking_only(node):
            yield from import_nodes(ast.Module(body=node.orelse, type_ignores=[]))
        else:
            yield from import_nodes(node)


def resolve(name: str, known: dict) -> str | None:
    """The module a dotted name names: itself, or the nearest package/module above it that exists."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imported_modules(module: str, path: Path, tree: ast.AST) -> set[str]:
    """The receptionist modules ``module`` imports: ``from receptionist.x import y`` is receptionist.x.y when y
    is a submodule, receptionist.x otherwise; relative imports are resolved against the module's package."""
    known = sources()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = set()
    for node in import_nodes(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            if node.level:
                base = package.split(".")
                base = ".".join(base[:len(base) - node.level + 1])
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            names = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source
                     for alias in node.names]
        for name in names:
            if top(name) == "receptionist" and (target := resolve(name, known)) and target != module:
                out.add(target)
    return out


def import_graph() -> dict[str, set[str]]:
    return {name: imported_modules(name, path, tree) for name, (path, _, tree) in sources().items()}


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components with more than one module, each sorted."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def shortest_cycle(graph: dict[str, set[str]], start: str, within: set[str]) -> list[str]:
    """start → ... → start, by breadth-first search inside one component."""
    came_from: dict[str, str] = {}
    todo = deque([start])
    while todo:
        v = todo.popleft()
        for w in sorted(graph[v] & within):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if w not in came_from:
                came_from[w] = v
                todo.append(w)
    raise AssertionError(f"{start} is in no cycle")


def import_cycles() -> list[str]:
    graph = import_graph()
    return [" → ".join(shortest_cycle(graph, component[0], set(component))) +
            (f"  (component of {len(component)}: {', '.join(component)})" if len(component) > 2 else "")
            for component in strongly_connected(graph)]


def test_the_cycle_finder_reports_the_path():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert strongly_connected(graph) == [["a", "b", "c"]]
    assert shortest_cycle(graph, "a", {"a", "b", "c"}) == ["a", "b", "c", "a"]


def test_no_import_cycles_between_modules():
    offenders = import_cycles()
    assert not offenders, "import cycles (lazy imports in functions count too):\n" + "\n".join(offenders)


# --- d. nothing that only tests call --------------------------------------------------------------------------------

#: Public names defined in receptionist/ that nothing in receptionist/ or receptionist_sandbox/ names, and that are
#: called all the same, by a library, through a base class's method of that name. Each says who calls it; dead code
#: does not go here.
CALLED_FROM_OUTSIDE: dict[str, str] = {
    # http.server / wsgiref call these on a request handler (the sign-in redirect and the webhook servers)
    "receptionist/providers/google_oauth.py:_QuietHandler.log_message": "http.server.BaseHTTPRequestHandler",
    "receptionist/providers/microsoft_auth.py:_RedirectHandler.do_GET": "http.server.BaseHTTPRequestHandler",
    "receptionist/providers/microsoft_auth.py:_RedirectHandler.do_POST": "http.server.BaseHTTPRequestHandler",
    "receptionist/providers/microsoft_auth.py:_RedirectHandler.log_message": "http.server.BaseHTTPRequestHandler",
    "receptionist/serving.py:_QuietHandler.log_request": "http.server.BaseHTTPRequestHandler",
    # keyring calls its backend's methods (MemoryKeyring is the backend of the demo mode and the tests)
    "receptionist/providers/secrets.py:MemoryKeyring.get_password": "keyring.backend.KeyringBackend",
    "receptionist/providers/secrets.py:MemoryKeyring.set_password": "keyring.backend.KeyringBackend",
    "receptionist/providers/secrets.py:MemoryKeyring.delete_password": "keyring.backend.KeyringBackend",
    # SQLAlchemy converts every value of the column type through these
    "receptionist/store/tables.py:UTCDateTime.process_result_value": "sqlalchemy.types.TypeDecorator",
    # logging calls each handler's filters on every record
    # twilio's RequestValidator reads a form's repeated fields with getall() (as on a webob MultiDict)
    "receptionist/ingest/platforms/twilio.py:_Form.getall": "twilio.request_validator.RequestValidator",
}

#: Modules rewritten on another branch (issue 14): what only tests call there is removed by that rewrite, not here.
REWRITTEN_ELSEWHERE = ("receptionist/services.py", "receptionist/ui/", "receptionist/sync/engine.py")
#: Unused today because its caller is missing from a module rewritten elsewhere.
CALLER_MISSING_ELSEWHERE: tuple[str, ...] = ()

QT_MODULES = ("QtCore", "QtGui", "QtWidgets")


@cache
def qt_class(name: str):
    """The PySide6 class called ``name``, or None (PySide6 is imported only to read its classes' methods)."""
    import importlib

    for module in QT_MODULES:
        found = getattr(importlib.import_module(f"PySide6.{module}"), name, None)
        if isinstance(found, type):
            return found
    return None


def base_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def qt_bases(cls: ast.ClassDef, by_name: dict[str, ast.ClassDef], seen: frozenset = frozenset()) -> list[type]:
    """The PySide6 classes ``cls`` derives from, through our own classes too."""
    out = []
    for base in cls.bases:
        name = base_name(base)
        if name is None or name in seen:
            continue
        if (found := qt_class(name)) is not None:
            out.append(found)
        elif name in by_name:
            out += qt_bases(by_name[name], by_name, seen | {name})
    return out


def port_methods() -> set[str]:
    """Methods the protocols of domain/ports.py declare: adapters implement them for the engine and the desk."""
    _, _, tree = sources()["receptionist.domain.ports"]
    return {name for cls in classes(tree) if any(base_name(b) == "Protocol" for b in cls.bases)
            for name in public_methods(cls)}


def entry_points() -> set[tuple[str, str]]:
    """(module, name) of each ``[project.scripts]`` entry point of pyproject.toml."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"].get("scripts", {})
    return {tuple(target.split(":", 1)) for target in scripts.values()}


def definitions():
    """(path, line, qualified name, name, class node or None) of every public top-level function and class and
    every public method of a module- or class-level class of receptionist/."""
    for _, (path, _, tree) in sources().items():
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and \
                    not node.name.startswith("_"):
                yield path, node.lineno, node.name, node.name, None
        for cls in classes(tree):
            for node in cls.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
                    yield path, node.lineno, f"{cls.name}.{node.name}", node.name, cls


class NameUses(ast.NodeVisitor):
    """How often each name is used in a tree: names and attributes read or written (docstrings and comments are no
    names), and the attribute of ``getattr(x, "name")`` and its kin. The names being defined (``def x``, ``class
    x``) are not uses, nor import statements (an import alone uses nothing), nor ``@x.setter`` on x itself."""

    BY_STRING = ("getattr", "hasattr", "setattr", "delattr")

    def __init__(self):
        self.uses: dict[str, int] = defaultdict(int)

    def visit_Name(self, node: ast.Name) -> None:
        self.uses[node.id] += 1

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.uses[node.attr] += 1
        self.generic_visit(node)

    def visit_Import(self, node: ast.AST) -> None:
        pass

    visit_ImportFrom = visit_Import

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in self.BY_STRING and len(node.args) >= 2 and \
                isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
            self.uses[node.args[1].value] += 1
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            if not (isinstance(decorator, ast.Attribute) and isinstance(decorator.value, ast.Name)
                    and decorator.value.id == node.name):
                self.visit(decorator)
        for child in (node.args, node.returns, *node.body):
            if child is not None:
                self.visit(child)

    visit_AsyncFunctionDef = visit_FunctionDef


def name_uses(path: Path) -> dict[str, int]:
    visitor = NameUses()
    visitor.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return visitor.uses


@cache
def all_name_uses() -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for path in [*sorted(PACKAGE.rglob("*.py")), *sorted(SANDBOX.rglob("*.py"))]:
        for name, n in name_uses(path).items():
            total[name] += n
    return total


def allowed(path: Path, qualified: str, name: str, cls: ast.ClassDef | None,
            by_name: dict[str, ast.ClassDef]) -> bool:
    where = rel(path)
    if name.startswith("__") and name.endswith("__"):
        return True  # dunder methods: Python calls them (they are not public anyway)
    if cls is not None and where.startswith("receptionist/ui/") and \
            any(hasattr(qt, name) for qt in qt_bases(cls, by_name)):
        return True  # an override of a Qt virtual (data, rowCount, paintEvent...): Qt calls it
    if cls is not None and name in port_methods():
        return True  # a method of a port (domain/ports.py) an adapter implements
    if cls is None and (module_name(path), name) in entry_points():
        return True  # a console script of pyproject.toml
    if cls is None and where.startswith("receptionist/migrations/versions/") and name in ("upgrade", "downgrade"):
        return True  # Alembic runs each migration's upgrade()/downgrade()
    return f"{where}:{qualified}" in CALLED_FROM_OUTSIDE


def unused_definitions() -> list[tuple[str, str]]:
    """(where, "path:line: qualified name") of each public definition nothing in the product uses."""
    uses = all_name_uses()
    offenders = []
    for path, line, qualified, name, cls in definitions():
        if uses.get(name, 0):
            continue
        by_name = {c.name: c for c in classes(sources()[module_name(path)][2])}
        if not allowed(path, qualified, name, cls, by_name):
            offenders.append((f"{rel(path)}:{qualified}", f"{rel(path)}:{line}: {qualified}"))
    return offenders


def pending_elsewhere(where: str) -> bool:
    return where.startswith(REWRITTEN_ELSEWHERE) or where in CALLER_MISSING_ELSEWHERE


def only_tests_call() -> list[str]:
    return [line for where, line in unused_definitions() if not pending_elsewhere(where)]


def only_tests_call_in_modules_rewritten_elsewhere() -> list[str]:
    return [line for where, line in unused_definitions() if pending_elsewhere(where)]


def test_the_name_search_skips_definitions_imports_comments_and_docstrings(tmp_path):
    source = tmp_path / "m.py"
    source.write_text('''from x import helper, unused  # helper, unused


def helper():
    """helper() and unused() are..."""
    return getattr(helper, "by_name")


class Thing:
    @property
    def size(self):
        return f"{helper()!r}"

    @size.setter
    def size(self, value):
        pass
''', encoding="utf-8")
    uses = name_uses(source)
    assert uses["helper"] == 2 and uses["by_name"] == 1  # the f-string's too
    assert "unused" not in uses and "size" not in uses and "Thing" not in uses


def test_nothing_in_the_product_is_called_only_by_tests():
    """Every public function, class and method of receptionist/ is named somewhere in receptionist/ or
    receptionist_sandbox/ besides its definition, or is called by a library or framework (see ``allowed``)."""
    offenders = only_tests_call()
    assert not offenders, "public names nothing in the product uses (delete them, and move what tests or " \
                          "benchmarks need into tests/helpers):\n" + "\n".join(offenders)


def test_nothing_in_the_modules_rewritten_elsewhere_is_called_only_by_tests():
    offenders = only_tests_call_in_modules_rewritten_elsewhere()
    assert not offenders, "public names nothing in the product uses:\n" + "\n".join(offenders)


def test_the_allowlist_names_definitions_that_need_it():
    """Each entry of ``CALLED_FROM_OUTSIDE`` and ``CALLER_MISSING_ELSEWHERE`` is a definition that exists and that
    nothing in the product names (otherwise it has no business there)."""
    defined = {f"{rel(path)}:{qualified}": name for path, _, qualified, name, _ in definitions()}
    uses = all_name_uses()
    stale = [entry for entry in [*CALLED_FROM_OUTSIDE, *CALLER_MISSING_ELSEWHERE]
             if entry not in defined or uses.get(defined[entry], 0)]
    assert not stale, f"allowlist entries that name nothing, or something the product uses: {stale}"
