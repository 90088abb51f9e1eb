"""``%modelarts_snapshot`` in a real IPython kernel: the save starts from a cell, its status is
shown live in the cell's output, and the kernel keeps answering while it waits."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

from conftest import Emulator
from helpers import as_json, run_cli


@pytest.fixture
def kernel(modelarts_env: Emulator) -> Iterator[BlockingKernelClient]:
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel()  # inherits the instance's environment, as a notebook kernel does
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run(client: BlockingKernelClient, code: str, timeout: float = 30) -> dict[str, Any]:
    message_id = client.execute(code)
    while True:
        reply: dict[str, Any] = client.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == message_id:
            assert reply["content"]["status"] == "ok", reply["content"]
            return reply


def outputs(client: BlockingKernelClient, until: float) -> Iterator[dict[str, Any]]:
    while time.monotonic() < until:
        try:
            yield client.get_iopub_msg(timeout=0.2)
        except queue.Empty:
            continue


def test_a_save_from_a_cell_shows_live_status_and_leaves_the_kernel_free(
    kernel: BlockingKernelClient, modelarts_env: Emulator, state_dir: Path
) -> None:
    modelarts_env.configure(init_seconds=1, creating_seconds=4)
    run(kernel, "%load_ext jupyterlab_modelarts_snapshot")
    started = time.monotonic()
    run(
        kernel,
        "%modelarts_snapshot save --name magic-env --namespace atelier-auto --tag v1 "
        f"--ModelArtsSnapshot.state_dir={state_dir} --ModelArtsSnapshot.poll_interval=0.3 "
        f"--ModelArtsSnapshot.manifest_dir={state_dir.parent / 'container-manifests'}",
    )
    # The cell is done at once; the kernel answers another request while the save runs.
    answer = run(kernel, "40 + 2")
    assert time.monotonic() - started < 4, "the kernel waited for the save"

    display_id = None
    seen: list[str] = []
    for message in outputs(kernel, time.monotonic() + 40):
        kind, content = message["header"]["msg_type"], message["content"]
        if kind == "execute_result" and content["data"]["text/plain"] == "42":
            seen.append("42")
        if kind == "display_data" and "transient" in content:
            display_id = content["transient"]["display_id"]
        if kind == "update_display_data":
            assert content["transient"]["display_id"] == display_id
            text = content["data"]["text/plain"]
            seen.append(text.split("[", 1)[1].split("]", 1)[0] if "[" in text else text)
            if "[ACTIVE]" in text:
                assert "docker pull swr." in text
                break
    assert answer["content"]["status"] == "ok" and display_id
    statuses = [item for item in seen if item in ("INIT", "CREATING", "ACTIVE")]
    assert statuses[0] in ("INIT", "CREATING") and statuses[-1] == "ACTIVE", seen
    assert seen.index("42") < seen.index("ACTIVE")  # answered before the save ended

    # The same record, seen by the CLI (and so by the server extension).
    listing = as_json(run_cli(state_dir, "list", "--json"))
    assert [(job["name"], job["status"]) for job in listing["jobs"]] == [("magic-env", "ACTIVE")]
    assert modelarts_env.count("create_image") == 1


def test_a_refused_save_says_why_in_the_cell(
    kernel: BlockingKernelClient, modelarts_env: Emulator, state_dir: Path
) -> None:
    modelarts_env.seed_image(name="magic-env", namespace="atelier-auto", tag="v1")
    run(kernel, "%load_ext jupyterlab_modelarts_snapshot")
    run(
        kernel,
        "%modelarts_snapshot save --name magic-env --namespace atelier-auto --tag v1 "
        f"--ModelArtsSnapshot.state_dir={state_dir}",
    )
    for message in outputs(kernel, time.monotonic() + 20):
        if message["header"]["msg_type"] == "update_display_data":
            text = message["content"]["data"]["text/plain"]
            if text.startswith("The save did not start"):
                # The tag check refuses it before ModelArts is asked, and proposes a free tag.
                assert "magic-env:v1 already exists in organization atelier-auto" in text
                assert "'v1-2'" in text
                break
    else:
        raise AssertionError("no refusal shown")


def cell_texts(client: BlockingKernelClient, seconds: float) -> Iterator[str]:
    """The texts a cell's live output shows, as they come."""
    for message in outputs(client, time.monotonic() + seconds):
        kind, content = message["header"]["msg_type"], message["content"]
        if kind in ("display_data", "update_display_data"):
            yield content["data"]["text/plain"]


def test_lease_and_save_then_stop_from_a_cell(
    kernel: BlockingKernelClient, modelarts_env: Emulator, state_dir: Path
) -> None:
    modelarts_env.configure(init_seconds=0.5, creating_seconds=1.5)
    response = modelarts_env.http.post("/_emulator/lease", json={"stops_in_seconds": 7200})
    assert response.status_code == 200
    settings = (
        f"--ModelArtsSnapshot.state_dir={state_dir} --ModelArtsSnapshot.poll_interval=0.3 "
        f"--ModelArtsSnapshot.manifest_dir={state_dir.parent / 'container-manifests'}"
    )
    run(kernel, "%load_ext jupyterlab_modelarts_snapshot")
    run(kernel, f"%modelarts_snapshot lease --extend 3 {settings}")
    shown = next(text for text in cell_texts(kernel, 20) if text.startswith("Stops at"))
    assert "in 2 h 59 min" in shown or "in 3 h 0 min" in shown, shown
    renewals = modelarts_env.http.get("/_emulator/requests").json()["renewals"]
    assert [renewal["duration"] for renewal in renewals] == [3 * 3_600_000]

    run(kernel, f"%modelarts_snapshot lease --extend 100 {settings}")
    refused = next(text for text in cell_texts(kernel, 20) if text.startswith("error:"))
    assert "1 to 72" in refused
    assert modelarts_env.count("renew_lease") == 1

    run(
        kernel,
        f"%modelarts_snapshot save --name magic-env --namespace atelier-auto --tag stop {settings} "
        "--stop",
    )
    final = next(text for text in cell_texts(kernel, 40) if "stopped after saving" in text)
    assert "[ACTIVE]" in final
    assert modelarts_env.count("stop_notebook") == 1


def test_restore_script_from_a_cell(
    kernel: BlockingKernelClient, modelarts_env: Emulator, state_dir: Path
) -> None:
    run(kernel, "%load_ext jupyterlab_modelarts_snapshot")
    run(
        kernel,
        f"%modelarts_snapshot restore-script --ModelArtsSnapshot.state_dir={state_dir} "
        f"--ModelArtsSnapshot.manifest_dir={state_dir.parent / 'container-manifests'}",
    )
    shown = next(text for text in cell_texts(kernel, 30) if text.startswith("Restore script"))
    script = state_dir / "restore.sh"
    assert f"Restore script written: {script}" in shown
    assert f"bash {script}" in shown
    assert script.read_text().startswith("#!/usr/bin/env bash")


def test_the_library_from_a_cell(
    kernel: BlockingKernelClient, modelarts_env: Emulator, state_dir: Path
) -> None:
    images = [
        modelarts_env.seed_image(name="cell-env", namespace="cell-org", tag=f"v{n}")
        for n in range(3)
    ]
    settings = f"--ModelArtsSnapshot.state_dir={state_dir}"
    run(kernel, "%load_ext jupyterlab_modelarts_snapshot")
    run(kernel, f"%modelarts_snapshot library --namespace cell-org {settings}")
    shown = next(text for text in cell_texts(kernel, 30) if "saved image(s)" in text)
    assert "cell-org/cell-env" in shown and all(image["id"] in shown for image in images)
    # A cell cannot be asked: a delete without --yes says what would go, and sends nothing.
    run(
        kernel,
        f"%modelarts_snapshot delete-image {images[0]['id']} --namespace cell-org {settings}",
    )
    shown = next(text for text in cell_texts(kernel, 30) if "Add --yes" in text)
    assert "the ModelArts registration only" in shown
    run(
        kernel,
        f"%modelarts_snapshot prune --name cell-env --namespace cell-org --keep 1 {settings}",
    )
    shown = next(text for text in cell_texts(kernel, 30) if "These would be deleted" in text)
    assert "run again with --yes" in shown
    assert modelarts_env.count("delete_image") == 0
