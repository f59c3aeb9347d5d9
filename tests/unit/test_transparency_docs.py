"""The offline example in docs/transparency.md works as written, and the library loads
nothing of the service, no framework, no database and no pyHanko."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import transparency

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("docsvc", "fastapi", "starlette", "sqlalchemy", "alembic", "pyhanko")


def _example() -> str:
    text = (ROOT / "docs" / "transparency.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) == 1
    return str(blocks[0])


def _files(directory: Path, index: int, *, leaf_changed: bool = False) -> None:
    leaves = [{"v": 1, "kind": "register.entry", "data": {"number": f"E-{i}"}} for i in range(9)]
    tree = transparency.MemoryTree(map(transparency.json_leaf_hash, leaves))
    key = Ed25519PrivateKey.generate()
    origin = "docsvc.example.gob.ec/register"
    checkpoint = transparency.Checkpoint(origin, tree.size, transparency.root(tree, tree.size))
    note = transparency.sign_checkpoint(checkpoint, key)
    proof = transparency.inclusion_proof(tree, index, tree.size)
    leaf = leaves[index] | ({"data": {"number": "E-forged"}} if leaf_changed else {})
    (directory / "register-key.txt").write_text(str(transparency.VerifierKey.of(origin, key)))
    (directory / "checkpoint.txt").write_text(note.encode())
    (directory / "inclusion.json").write_text(
        json.dumps(
            {
                "index": index,
                "size": tree.size,
                "leaf_hash": tree.perfect(0, index).hex(),
                "proof": [p.hex() for p in proof],
            }
        )
    )
    (directory / "leaf.json").write_text(json.dumps({"index": index, "leaf": leaf}))


def _run(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _example()],
        cwd=directory,
        env={"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("index", [0, 4, 8])
def test_the_docs_example_checks_an_inclusion_proof(tmp_path: Path, index: int) -> None:
    _files(tmp_path, index)
    result = _run(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"leaf {index} is in docsvc.example.gob.ec/register at size 9\n"


def test_the_docs_example_refuses_a_changed_leaf(tmp_path: Path) -> None:
    _files(tmp_path, 3, leaf_changed=True)
    result = _run(tmp_path)
    assert result.returncode == 1
    assert "the leaf is not the one the proof is about" in result.stderr


def test_the_library_loads_nothing_of_the_service() -> None:
    probe = (
        "import sys, transparency; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({FORBIDDEN!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "[]"
