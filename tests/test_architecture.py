"""The package's layers, read from the source (ast): no import cycle, no import from a lower layer into a
higher one. Every import counts, also those inside functions; importing ``a.b.c`` runs ``a.b`` first, so a
module also depends on its parent packages."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
LOWER = ("errors", "checks", "registry", "checkpoint", "data", "metrics", "channels", "models")
HIGHER = ("systems", "training", "evaluation", "baselines", "zoo", "sweeps", "reports", "cli")
#: above-the-physical-layer order: a room may import those before it in this list, never those after it
#: (systems and training import each other's modules: the base module and the registry; cycles are checked
#: module by module).
NEVER = {
    "systems": ("evaluation", "baselines", "zoo", "sweeps", "reports", "cli"),
    "training": ("evaluation", "baselines", "zoo", "sweeps", "reports", "cli"),
    "evaluation": ("zoo", "sweeps", "reports", "cli"),
    "baselines": ("zoo", "sweeps", "reports", "cli"),
    "zoo": ("sweeps", "reports", "cli"),
    "sweeps": ("reports", "cli"),
    "reports": ("cli",),
}


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in (SRC / "semcom").rglob("*.py")}
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        is_pkg = path.name == "__init__.py"
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_pkg else name.split(".")[:-1]
                    base = base[: len(base) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
            for t in targets:
                if not t.startswith("semcom"):
                    continue
                while t and t not in modules:  # "from pkg import name": name is not a module
                    t = t.rpartition(".")[0]
                if t and t != name and not (is_pkg and t.startswith(name + ".")):
                    edges[name].add(t)  # (a package importing its own submodules is how packages are built)
        parent = name.rpartition(".")[0]
        if parent and parent in modules and parent != name:
            edges[name].add(parent)  # importing a submodule runs its package first
    return edges


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_import_cycles() -> None:
    edges = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(edges[m]):
            if state.get(n) == 1:
                cycle = stack[stack.index(n):] + [n]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)


def test_lower_layers_never_import_higher_ones() -> None:
    bad = []
    for m, targets in graph().items():
        r = room(m)
        for t in targets:
            tr = room(t)
            if (r in LOWER and tr in HIGHER) or tr in NEVER.get(r, ()):
                bad.append(f"{m} imports {t}")
    assert not bad, "imports against the layers:\n" + "\n".join(sorted(bad))


def test_the_graph_sees_real_imports() -> None:
    edges = graph()
    assert "semcom.systems.registry" in edges["semcom.systems.jscc"]
    assert "semcom.training.base" in edges["semcom.systems.mumimo"]
    assert "semcom.systems" in edges["semcom.training.fit"]
    assert "semcom.channels" in edges["semcom.channels.awgn"]  # the parent-package edge


def test_no_seed_file_numbers_in_names() -> None:
    """Identifiers, file names and CLI options name what things are, or the paper; never the seed files."""
    import re

    bad = []
    for path in (SRC / "semcom").rglob("*.py"):
        if re.search(r"seed_?00\d", path.name):
            bad.append(str(path))
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            name = getattr(node, "name", None) or getattr(node, "id", None) or getattr(node, "attr", None)
            if isinstance(name, str) and re.search(r"(?i)seed_?00\d", name):
                bad.append(f"{path.name}: {name}")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"(?i)seed_?00\d",
                                                                                                node.value):
                bad.append(f"{path.name}: {node.value!r}")
    assert not bad, bad
