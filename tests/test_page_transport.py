"""``doctor`` says which way the running server's JupyterLab page reaches the service: the server
extension (REST), the service kernel (and why it cannot start, when it cannot), or neither."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from jupyterlab_modelarts_snapshot.installer import write_kernelspec

from conftest import Emulator
from helpers import as_json, run_cli
from server_process import JupyterServer

WITHOUT_EXTENSION = "--ServerApp.jpserver_extensions=jupyterlab_modelarts_snapshot=False"


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own runtime dir and kernelspec path, so that only its server is found."""
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "data"))
    return tmp_path


def doctor(state_dir: Path) -> dict[str, object]:
    result = run_cli(state_dir, "doctor", "--json")
    assert result.returncode in (0, 3), result.stderr
    answer: dict[str, object] = as_json(result)
    return answer


def test_no_server(runtime: Path, state_dir: Path) -> None:
    assert doctor(state_dir)["page_transport"] == "unknown"


def test_the_server_extension(runtime: Path, state_dir: Path, modelarts_env: Emulator) -> None:
    server = JupyterServer(runtime / "server", state_dir).start()
    try:
        assert doctor(state_dir)["page_transport"] == "rest"
        text = run_cli(state_dir, "doctor").stdout
        assert "through the server extension (REST)" in text
    finally:
        server.stop()


def test_the_service_kernel_and_why_it_cannot_start(
    runtime: Path, state_dir: Path, modelarts_env: Emulator
) -> None:
    server = JupyterServer(runtime / "server", state_dir, extra_args=[WITHOUT_EXTENSION]).start()
    try:
        assert doctor(state_dir)["page_transport"] == "none"
        assert "run jupyter modelarts-snapshot install" in run_cli(state_dir, "doctor").stdout

        folder = write_kernelspec(sys.executable, str(runtime / "data"))
        answer = doctor(state_dir)
        assert (answer["page_transport"], answer["service_kernel_error"]) == ("kernel", None)

        # A Python without the package: the kernel's own error, as it would stop.
        spec = json.loads((folder / "kernel.json").read_text())
        spec["argv"][0] = str(runtime / "venv-without-package" / "python")
        (runtime / "venv-without-package").mkdir()
        (runtime / "venv-without-package" / "python").symlink_to("/bin/false")
        (folder / "kernel.json").write_text(json.dumps(spec))
        broken = doctor(state_dir)
        assert broken["page_transport"] == "kernel"
        assert "venv-without-package/python: exit 1" in str(broken["service_kernel_error"])
        spec["argv"][0] = str(runtime / "no-such-python")
        (folder / "kernel.json").write_text(json.dumps(spec))
        missing = doctor(state_dir)
        assert "no-such-python" in str(missing["service_kernel_error"])
        assert "The service kernel cannot start" in run_cli(state_dir, "doctor").stdout
    finally:
        server.stop()
