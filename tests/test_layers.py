"""The package's folders are its layers (src/covidat/__init__.py): each imports only from the layers
above it, no module imports another that imports it back, and nothing dodges a cycle by importing
inside a function. The command line (covidat/__main__.py) alone imports inside its commands, so
that each command loads only what it uses."""
import ast
from pathlib import Path

from covidat import ROOT

PACKAGE = ROOT / "src" / "covidat"
LAYERS = ["data", "endpoints", "reconstruction", "beyond", "planning", "book"]  # top to bottom
LAZY = {"covidat.__main__"}


def name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(module: str, nested: bool) -> set[str]:
    """The covidat modules `module` imports at its top level (nested=False) or inside a function or
    class (nested=True)."""
    tree = ast.parse(MODULES[module].read_text())
    top = {id(node) for node in tree.body}
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)) or (id(node) not in top) is not nested:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif node.module:
            found |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module
                      for a in node.names}
    return {m for m in found if m in MODULES}


def layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_folder_is_a_layer():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(LAYERS)


def test_no_import_inside_a_function():
    # Bug caught: an import moved into a function to dodge a cycle (or to hide a layer violation).
    for module in set(MODULES) - LAZY:
        assert not imports(module, nested=True), module


def test_each_layer_imports_only_from_the_layers_above_it():
    for module in MODULES:
        here = layer(module)
        for other in imports(module, nested=False):
            there = layer(other)
            assert here is not None or module in LAZY or there is None, f"{module} imports {other}"
            assert here is None or there is None or there <= here, f"{module} imports {other}, a layer below it"


def test_no_import_cycle():
    graph = {module: imports(module, nested=False) for module in MODULES}
    state = {}

    def visit(module, path):
        state[module] = "open"
        for other in graph[module]:
            assert state.get(other) != "open", " -> ".join(path + [module, other])
            if other not in state:
                visit(other, path + [module])
        state[module] = "done"

    for module in graph:
        if module not in state:
            visit(module, [])
