"""Long-lived state belongs to the ``Services`` registry, not to modules: a module-level
lock, cache of opened keys or mutable container would be shared by two services in one
process and outlive them. What a module may keep is listed here with the reason."""

from __future__ import annotations

import ast
from pathlib import Path

import docsvc

ROOT = Path(docsvc.__file__).parent

# Pure memos of constant inputs (fonts, templates, catalogues, SQL text): the same in any
# service.
PURE_MEMOS = {
    "demo/sample_pdfs.py",
    "documents/html_pdf.py",
    "documents/text_pdf.py",
    "ledger/log.py",
    "locale/__init__.py",
}
# What a warm signing process keeps (the keys it signs with lately, and the lock around
# it): the state of that process, never of a service.
WORKER_GLOBALS = {"batches/worker.py"}

_MEMO_DECORATORS = {"cache", "lru_cache", "cached_property"}
_LOCKS = {"Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition", "Event"}


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        return _name(node.func)
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _mutable(value: ast.expr | None) -> bool:
    if isinstance(value, (ast.Dict, ast.List, ast.Set)):
        return True
    return isinstance(value, ast.Call) and _name(value) in {"dict", "list", "set"} | _LOCKS


def _findings(path: Path, root: Path = ROOT) -> list[str]:
    relative = path.relative_to(root).as_posix()
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[str] = []
    for node in tree.body:
        if (
            isinstance(node, (ast.Assign, ast.AnnAssign))
            and _mutable(node.value)
            and relative not in WORKER_GLOBALS
        ):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            # ALL_CAPS names are constant tables and __all__ a list of names, never written.
            if any(not name.isupper() and not name.startswith("__") for name in names):
                found.append(f"{relative}:{node.lineno} module-level {', '.join(names)}")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            memo = [d for d in node.decorator_list if _name(d) in _MEMO_DECORATORS]
            if memo and relative not in PURE_MEMOS:
                found.append(f"{relative}:{node.lineno} memoised {node.name}")
    if relative not in WORKER_GLOBALS:
        for node in ast.walk(tree):
            if isinstance(node, ast.Global):
                found.append(f"{relative}:{node.lineno} global {', '.join(node.names)}")
    return found


def test_no_module_keeps_state_of_a_service() -> None:
    findings = [f for path in sorted(ROOT.rglob("*.py")) for f in _findings(path)]
    assert findings == []


def test_the_check_sees_a_module_lock_and_a_cache(tmp_path: Path) -> None:
    sample = tmp_path / "_sample_state_probe.py"
    sample.write_text(
        "import functools, threading\n"
        "_lock = threading.Lock()\n"
        "_held: dict[str, bytes] = {}\n"
        "@functools.cache\n"
        "def _key(path: str) -> bytes:\n"
        "    return b''\n"
        "def _set() -> None:\n"
        "    global _held\n"
    )
    assert _findings(sample, tmp_path) == [
        "_sample_state_probe.py:2 module-level _lock",
        "_sample_state_probe.py:3 module-level _held",
        "_sample_state_probe.py:5 memoised _key",
        "_sample_state_probe.py:8 global _held",
    ]
