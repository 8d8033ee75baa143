"""Compare a stub's public API with its solution's, by reading both files' syntax trees.

The public API is every top-level function, class and constant whose name does not start
with an underscore, and every method of those classes (dunders included). For each, the
signature text (decorators, parameters with annotations and defaults, return annotation) and
the docstring must be identical. Module docstrings may differ (a solution's cites its sources).
Nothing is imported, so a broken file is reported rather than run.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Entry:
    kind: str  # "function", "class", "method", "constant"
    signature: str
    docstring: str | None


def _signature(node: FunctionNode) -> str:
    decorators = "".join(f"@{ast.unparse(d)} " for d in node.decorator_list)
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    return f"{decorators}{prefix} {node.name}({ast.unparse(node.args)}){returns}"


def _public(name: str) -> bool:
    return not name.startswith("_")


def _method_visible(name: str) -> bool:
    return _public(name) or (name.startswith("__") and name.endswith("__"))


def public_api(path: Path) -> dict[str, Entry]:
    """The public API of a Python file, keyed by qualified name ("Class.method")."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    api: dict[str, Entry] = {}
    for node in tree.body:
        if isinstance(node, FunctionNode) and _public(node.name):
            api[node.name] = Entry("function", _signature(node), ast.get_docstring(node))
        elif isinstance(node, ast.ClassDef) and _public(node.name):
            bases = ", ".join(ast.unparse(b) for b in [*node.bases, *node.keywords])
            api[node.name] = Entry("class", f"class {node.name}({bases})",
                                   ast.get_docstring(node))
            for item in node.body:
                if isinstance(item, FunctionNode) and _method_visible(item.name):
                    api[f"{node.name}.{item.name}"] = Entry("method", _signature(item),
                                                            ast.get_docstring(item))
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and _public(t.id):
                    api[t.id] = Entry("constant", t.id, None)
    return api


def compare(stub: Path, solution: Path) -> list[str]:
    """Differences between the stub's and the solution's public API, one line each."""
    try:
        a, b = public_api(stub), public_api(solution)
    except SyntaxError as e:
        return [f"cannot parse {Path(e.filename or '?').name}:{e.lineno}: {e.msg}"]
    problems = []
    for name in sorted(a.keys() - b.keys()):
        problems.append(f"{a[name].kind} {name} is in the stub but not in the solution")
    for name in sorted(b.keys() - a.keys()):
        problems.append(f"{b[name].kind} {name} is in the solution but not in the stub")
    for name in sorted(a.keys() & b.keys()):
        if a[name].signature != b[name].signature:
            problems.append(f"{name}: signatures differ: stub `{a[name].signature}` vs "
                            f"solution `{b[name].signature}`")
        elif a[name].docstring != b[name].docstring:
            problems.append(f"{name}: docstrings differ between stub and solution")
    return problems
