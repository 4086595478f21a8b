"""The package's import structure: no cycles between modules, and cheap lookups stay cheap.

The graph holds the imports that run when a module is imported (module level, class bodies,
``try`` blocks), not those inside functions (deliberately deferred) or under ``TYPE_CHECKING``.
It is read from the source with :mod:`ast`, so a cycle fails here even when import order happens
to hide it at run time.
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import genrekit

# Cycles that need a larger restructuring than a local fix; each entry is the set of modules
# of one strongly connected component. Keep empty unless a cycle really cannot be cut locally.
KNOWN_CYCLES: list[frozenset[str]] = []


def _modules() -> dict[str, tuple[Path, bool]]:
    """Every module of the package: name -> (source file, is a package)."""
    root = Path(genrekit.__file__).parent
    found = {"genrekit": (root / "__init__.py", True)}
    # walk_packages imports sub-packages to find their children; onerror keeps an optional
    # dependency missing from this machine from hiding the rest of the tree
    for info in pkgutil.walk_packages([str(root)], prefix="genrekit.", onerror=lambda name: None):
        folder = Path(info.module_finder.path)
        leaf = info.name.rsplit(".", 1)[-1]
        path = folder / leaf / "__init__.py" if info.ispkg else folder / f"{leaf}.py"
        if path.is_file():
            found[info.name] = (path, info.ispkg)
    return found


def _import_time_nodes(tree: ast.Module):
    """Import statements that run when the module is imported."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
            continue
        todo.extend(ast.iter_child_nodes(node))


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module if is_package else module.rsplit(".", 1)[0]
    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    return f"{base}.{node.module}" if node.module else base


def _all_import_nodes(tree: ast.Module):
    """Every import statement, inside functions too."""
    return (node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)))


def import_graph(*, deferred: bool = False) -> dict[str, set[str]]:
    """genrekit module -> the genrekit modules it imports at import time (``deferred``: or in any
    function, where imports that only dodge a cycle would hide)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    nodes = _all_import_nodes if deferred else _import_time_nodes
    for name, (path, is_package) in modules.items():
        for node in nodes(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                source = _resolve(name, is_package, node)
                # `from genrekit.x import y` imports the submodule genrekit.x.y when there is one
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in node.names]
            for target in targets:
                # `import genrekit.a.b` where b is a name, not a module, still imports genrekit.a
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One concrete cycle (a -> ... -> a) through each strongly connected component of size > 1."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def connect(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph)))
    try:
        for v in sorted(graph):
            if v not in index:
                connect(v)
    finally:
        sys.setrecursionlimit(limit)

    found = []
    for component in components:
        start = min(component)
        # shortest path back to start inside the component (breadth first)
        previous = {start: None}
        queue = [start]
        end = None
        while queue and end is None:
            v = queue.pop(0)
            for w in sorted(graph[v] & component):
                if w == start:
                    end = v
                    break
                if w not in previous:
                    previous[w] = v
                    queue.append(w)
        path = [start]
        while end is not None and end != start:
            path.insert(1, end)
            end = previous[end]
        found.append(path + [start])
    return found


def test_graph_sees_submodule_and_relative_imports():
    graph = import_graph()
    assert "genrekit.errors" in graph["genrekit.config"]
    # `from genrekit import distributed` is an edge to the submodule, not to the package
    assert "genrekit.distributed" in graph["genrekit.network_runs"]
    assert "genrekit" not in graph["genrekit.models.torch_family"]
    # imports inside functions are not edges: the registry imports its providers on lookup
    assert "genrekit.models.torch_family" not in graph["genrekit.models.registry"]
    # relative imports resolve against the importing module's package
    tree = ast.parse("from . import a\nfrom ..b import c\nfrom .d import e")
    nodes = [node for node in tree.body if isinstance(node, ast.ImportFrom)]
    assert [_resolve("genrekit.x.y", False, n) for n in nodes] == ["genrekit.x", "genrekit.b", "genrekit.x.d"]
    assert [_resolve("genrekit.x", True, n) for n in nodes] == ["genrekit.x", "genrekit.b", "genrekit.x.d"]


def test_cycles_are_found_and_named():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]  # a module importing itself is not a cycle between modules


def test_no_import_cycles():
    graph = import_graph()
    assert len(graph) > 50  # the walk found the package
    unexpected = [cycle for cycle in cycles(graph) if not any(set(cycle) <= known for known in KNOWN_CYCLES)]
    assert not unexpected, "import cycles between genrekit modules:\n" + "\n".join(" -> ".join(c) for c in unexpected)


def test_no_cycles_through_function_level_imports():
    """Layers import downwards even where an import is deferred into a function to keep start-up
    light (torch, transformers): no function-level import closes a cycle."""
    found = cycles(import_graph(deferred=True))
    assert not found, "cycles through function-level imports:\n" + "\n".join(" -> ".join(c) for c in found)


#: The package's layers, lowest first (the README's repository map lists them in this order). A
#: module belongs to the layer of its longest matching prefix; "genrekit" alone (the foundation)
#: catches a new module until it is placed.
LAYERS: list[tuple[str, ...]] = [
    ("genrekit", "genrekit.paths", "genrekit.config", "genrekit.errors", "genrekit.runs", "genrekit.hub",
     "genrekit.devices", "genrekit.distributed", "genrekit.plots"),
    ("genrekit.data",),
    ("genrekit.features", "genrekit.pretrained"),
    ("genrekit.prepare", "genrekit.intervals", "genrekit.evaluate", "genrekit.trainer"),
    ("genrekit.models.registry", "genrekit.checkpoint", "genrekit.network_runs"),
    ("genrekit.models",),
    ("genrekit.train", "genrekit.rescore", "genrekit.results", "genrekit.compare", "genrekit.label_noise"),
    ("genrekit.inference",),
    ("genrekit.ensemble", "genrekit.cross_dataset"),
    ("genrekit.album", "genrekit.album_plots", "genrekit.app", "genrekit.space_bundle", "genrekit.pipeline",
     "genrekit.cli", "genrekit.__main__"),
]


def layer_of(module: str) -> int:
    matches = [(len(prefix), i) for i, group in enumerate(LAYERS) for prefix in group
               if module == prefix or module.startswith(prefix + ".")]
    return max(matches)[1]


def test_layers_import_downwards_only():
    """data -> features -> models -> training / evaluation -> inference -> album / app / cli: no
    module imports a higher layer, not even inside a function. (The registry finds a family's
    module by name when a model is looked up; that is registration, not an import.)"""
    graph = import_graph(deferred=True)
    upward = sorted(f"{a} (layer {layer_of(a)}) -> {b} (layer {layer_of(b)})"
                    for a, deps in graph.items() for b in deps if layer_of(b) > layer_of(a))
    assert not upward, "imports of a higher layer:\n" + "\n".join(upward)


def test_function_level_imports_say_why():
    """Outside the command line (whose modules import their work inside each command, so
    ``genrekit --help`` stays fast), a genrekit import inside a function carries its reason: a
    comment on the line or directly above its block (e.g. ``# imports torch only when needed``)."""
    unexplained = []
    for name, (path, _) in _modules().items():
        if name == "genrekit.cli" or name.startswith("genrekit.cli."):
            continue
        lines = path.read_text().splitlines()
        tree = ast.parse("\n".join(lines))
        top = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or id(node) in top:
                continue
            if not (node.level or (node.module or "").startswith("genrekit")):
                continue
            first = node.lineno - 1
            while first > 0 and lines[first - 1].strip().startswith(("from ", "import ")):
                first -= 1
            if "#" not in lines[node.lineno - 1] and not lines[first - 1].strip().startswith("#"):
                unexplained.append(f"{name}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert not unexplained, "function-level imports without a reason:\n" + "\n".join(unexplained)


def test_known_cycles_still_exist():
    """An exception that no longer matches a cycle is stale and must go."""
    found = [set(cycle) for cycle in cycles(import_graph())]
    for known in KNOWN_CYCLES:
        assert any(cycle <= known for cycle in found), f"stale KNOWN_CYCLES entry: {sorted(known)}"


def test_looking_up_a_classic_model_does_not_import_torch():
    code = (
        "import sys\n"
        "from genrekit.models import registry\n"
        "spec = registry.get_model('logreg')\n"
        "assert spec.family == 'classic', spec\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", "registry.get_model('logreg') imported torch"


def test_a_classic_run_of_a_model_defined_elsewhere_loads_through_the_family():
    """Lookups import providers only as far as needed; a zero-shot run (family 'classic', model
    defined in genrekit.models.zeroshot) must still load when only the family was looked up."""
    code = (
        "import numpy as np\n"
        "from genrekit.models import registry\n"
        "registry.get_family('classic')\n"
        "from genrekit.models.classic import FittedClassic, Exported\n"
        "p = FittedClassic(model='musicnn-zeroshot', labels=['a', 'b'], feature_columns=['x', 'y'], class_ids=[0, 1],\n"
        "                  exported=Exported(arrays={'weights': np.eye(2)}, meta={'temperature': 1.0}))\n"
        "print(p.predict(np.array([[0.0, 1.0]])))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['b']"
