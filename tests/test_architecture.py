"""The architecture contract: the layers in pyproject.toml ([tool.importlinter]) hold, and no
module of the package imports itself through others (an import circle), within a layer too."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).parent.parent
PACKAGE = "jupyterlab_modelarts_snapshot"


def import_circles(package: str) -> list[list[str]]:
    """Every import circle among the package's modules, each as the modules it passes through."""
    graph = grimp.build_graph(package, cache_dir=None)
    modules = sorted(graph.modules)
    imports = {module: graph.find_modules_directly_imported_by(module) for module in modules}
    circles: list[list[str]] = []
    state: dict[str, str] = {}  # "open" while on the current path, "done" once explored
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = "open"
        path.append(module)
        for imported in sorted(imports[module]):
            if state.get(imported) == "open":
                circles.append([*path[path.index(imported) :], imported])
            elif imported not in state:
                visit(imported)
        path.pop()
        state[module] = "done"

    for module in modules:
        if module not in state:
            visit(module)
    return circles


def test_the_layers_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_no_import_circle() -> None:
    assert import_circles(PACKAGE) == []


def test_a_circle_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: a package whose two modules import each other."""
    package = tmp_path / "circled"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "jobs.py").write_text("from .preflight import Preflight\nclass Service: ...\n")
    (package / "preflight.py").write_text(
        textwrap.dedent(
            """
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from .jobs import Service
            class Preflight: ...
            """
        )
    )
    (package / "models.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_circles("circled") == [["circled.jobs", "circled.preflight", "circled.jobs"]]
