"""The house's arrows: the import graph of bot/ (function-level imports included) has no cycle and
none of the arrows DESIGN.md says must never exist."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

BOT = Path(__file__).parents[1] / "bot"

# (importer room, imported room, why): rooms are a top-level package or module of bot/.
FORBIDDEN = (
    ("store", "platforms", "the store never knows about platforms"),
    ("store", "daemon", "the store never knows who calls it"),
    ("store", "http", "the store never makes HTTP calls"),
    ("store", "cli", "no face below the faces"),
    ("store", "api", "no face below the faces"),
    ("store", "query", "queries sit above the store"),
    ("store", "digest", "digests sit above the store"),
    ("platforms", "store", "adapters fetch and parse; they never touch the database"),
    ("platforms", "daemon", "adapters never know the daemon"),
    ("http", "platforms", "the HTTP layer serves every platform alike"),
    ("http", "store", "the HTTP layer never touches the database"),
    ("digest", "cli", "digests never borrow from a face"),
    ("digest", "api", "digests never borrow from a face"),
    ("digest", "daemon", "digests never read the daemon's status module"),
    ("query", "cli", "the query layer serves both faces"),
    ("query", "api", "the query layer serves both faces"),
    ("query", "daemon", "the query layer never reads the daemon"),
    ("daemon", "cli", "the daemon never borrows from a face"),
    ("daemon", "api", "the daemon never borrows from a face"),
    ("io", "cli", "import and export never borrow from a face"),
    ("api", "simulator", "a production face never imports the simulator"),
    ("api", "cli", "the two faces are siblings"),
    ("growth", "*", "growth maths is pure: no store, no I/O, only the calendar of bot.clock"),
    ("kinds", "*", "the vocabularies depend on nothing"),
    *(
        ("output", room, "writing values down is a base service: it knows no caller")
        for room in ("store", "platforms", "http", "daemon", "query", "io", "digest", "cli", "api")
    ),
)
# What a room marked "*" (nothing else) may still import: the local-day calendar.
PURE_MAY_USE = ("clock",)
# Only these modules may import the simulator: the `bot simulate` command and the demo.
SIMULATOR_USERS = ("bot.cli.daemon", "bot.demo")


def module_name(path: Path) -> str:
    """``bot/digest/build.py`` -> ``bot.digest.build``; a package's __init__ is the package."""
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """Every module of bot/ by dotted name."""
    return {module_name(p): p for p in BOT.rglob("*.py")}


def imports_of(path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The bot modules ``path`` imports anywhere in its body (functions and TYPE_CHECKING too)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from pkg import sub`` imports the submodule when there is one, else a name of pkg.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target.startswith("bot") and target != name:
                yield target


def graph() -> dict[str, set[str]]:
    """Module -> the bot modules it imports."""
    known = modules()
    return {name: set(imports_of(path, known)) for name, path in known.items()}


def room(module: str) -> str:
    """The top-level room of a module: ``bot.digest.build`` -> ``digest``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def violations(edges: dict[str, set[str]]) -> list[str]:
    """Every forbidden arrow in ``edges``, as readable lines."""
    lines = []
    for source, targets in sorted(edges.items()):
        for target in sorted(targets):
            outsider = room(source) != "simulator" and source not in SIMULATOR_USERS
            if room(target) == "simulator" and outsider:
                lines.append(f"{source} -> {target}: only `bot simulate` and `bot demo` may")
            for importer, imported, why in FORBIDDEN:
                anything = imported == "*" and room(target) not in (importer, *PURE_MAY_USE)
                if room(source) == importer and (room(target) == imported or anything):
                    lines.append(f"{source} -> {target}: {why}")
    return lines


def test_the_graph_sees_function_level_imports() -> None:
    edges = graph()
    assert len(edges) > 60
    assert "bot.platforms" in edges["bot.config"] or any(
        target.startswith("bot.platforms") for target in edges["bot.config"]
    )


def test_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_no_forbidden_arrow() -> None:
    assert violations(graph()) == []


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"bot.store.models": {"bot.platforms.base"}}, "never knows about platforms"),
        ({"bot.digest.build": {"bot.daemon.status"}}, "daemon's status"),
        ({"bot.api.app": {"bot.simulator.app"}}, "only `bot simulate`"),
        ({"bot.growth": {"bot.store.history"}}, "pure"),
        ({"bot.output.text": {"bot.digest.model"}}, "base service"),
    ],
)
def test_a_forbidden_arrow_is_caught(extra: dict[str, set[str]], expected: str) -> None:
    edges = graph()
    for source, targets in extra.items():
        edges[source] = edges[source] | targets
    assert any(expected in line for line in violations(edges))


def test_a_cycle_is_caught() -> None:
    edges = graph()
    edges["bot.clock"] = edges["bot.clock"] | {"bot.config"}
    edges["bot.config"] = edges["bot.config"] | {"bot.clock"}
    assert any({"bot.clock", "bot.config"} <= set(c) for c in cycles(edges))
