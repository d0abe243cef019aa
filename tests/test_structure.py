"""The code's shape: no import circles (function-level imports included), no tangled functions."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("agenda", "solver")
MAX_COMPLEXITY = 20


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def _package_of(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def import_graph() -> dict[str, set[str]]:
    """Module → the modules of the project it imports anywhere (also inside functions).

    `from x import y` counts as an import of x.y when that is a module, else of x; importing a
    submodule is not counted as importing its package's __init__ (that runs nothing circular here).
    """
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = _package_of(name, path)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
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
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph()
    assert "agenda.access" in graph["agenda.permissions"]  # imported inside `permission`
    assert "agenda.services.proposals" in graph["agenda.proposals.views"]


def test_no_import_circles():
    assert cycles(import_graph()) == []


def test_solver_imports_nothing_of_the_app():
    graph = import_graph()
    assert not {m for s in graph if s.startswith("solver") for m in graph[s] if m.startswith("agenda")}


def complexity(function: ast.AST) -> int:
    """McCabe's number as ruff's C901 counts it: 1 + each if/elif, loop, loop's else, except and
    match case, plus the numbers of the functions defined inside it."""
    count = 1
    todo = list(ast.iter_child_nodes(function))
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):  # a closure adds to its function
            count += complexity(node)
            continue
        if isinstance(node, (ast.If, ast.ExceptHandler, ast.match_case)):
            count += 1
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            count += 1 + bool(node.orelse)
        todo.extend(ast.iter_child_nodes(node))
    return count


def test_no_function_is_too_tangled_to_read():
    tangled = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and complexity(node) > MAX_COMPLEXITY:
                tangled.append(f"{name}.{node.name}")
    assert sorted(tangled) == []


def _journal_mode(engine) -> str:
    with engine.connect() as connection:
        return connection.exec_driver_sql("PRAGMA journal_mode").scalar()


def test_database_listeners_are_on_each_apps_engine_only(tmp_path, monkeypatch):
    """Two apps, two engines, both set up; an engine the app did not make is left as it is."""
    from sqlalchemy import create_engine

    from agenda import create_app
    from agenda.extensions import db

    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "instance"))
    engines = []
    for name in ("one", "two"):
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / name}.sqlite"})
        with app.app_context():
            engines.append(db.engine)
    assert engines[0] is not engines[1]
    assert [_journal_mode(e) for e in engines] == ["wal", "wal"]
    other = create_engine(f"sqlite:///{tmp_path / 'tool.sqlite'}")
    assert _journal_mode(other) == "delete"
    for engine in (*engines, other):
        engine.dispose()


def test_the_app_puts_exactly_the_solvers_codes_into_words():
    """One table of words in the app for the records the solver gives (its CLI's English has the same codes)."""
    from agenda.reasons import WORDS
    from solver.explain import CODES

    assert set(WORDS) == CODES
