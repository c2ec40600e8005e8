"""The package's imports form no cycle, counting the lazy imports inside functions too, so any
module can be imported, read and changed on its own, and the layers (images → backbones →
dream → data → models → training → fast → cli/studio) only ever point one way."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "dreamgan"


def _module_graph() -> dict[str, set[str]]:
    mods = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {m: set() for m in mods}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):  # module level and inside functions
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                targets = [base, *(f"{base}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            graph[name] |= {t for t in targets if t in mods and t != name}
    return graph


def test_no_import_cycles():
    graph, cycles, done = _module_graph(), [], set()

    def visit(node, path):
        for nxt in sorted(graph[node]):
            if nxt in path:
                cycles.append(" -> ".join(path[path.index(nxt):] + [nxt]))
            elif nxt not in done:
                visit(nxt, path + [nxt])
        done.add(node)

    for module in sorted(graph):
        if module not in done:
            visit(module, [module])
    assert len(graph) > 30, "the scan found the package's modules"
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [m for m in graph if m == start or m.startswith(start + ".")]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo += graph[m]
    return seen


def test_training_and_inference_meet_only_below_both():
    """The fast generator's home (`dreamgan.fast`) and training share the checkpoint format,
    the config and the networks, which live below both; neither reaches the other, even lazily."""
    graph = _module_graph()
    assert not {m for m in _reachable(graph, "dreamgan.fast") if m.startswith("dreamgan.training")}
    assert not {m for m in _reachable(graph, "dreamgan.training") if m.startswith("dreamgan.fast")}
    assert {"dreamgan.models.checkpoint", "dreamgan.models.config"} <= _reachable(graph, "dreamgan.fast") & _reachable(graph, "dreamgan.training")
