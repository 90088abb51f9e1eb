"""Benchmarks of the local API and the front end, each next to Jupyter's own baseline.

Everything runs on this machine: the emulator, a Jupyter server with the extension, and the load
generator beside it, so figures are reported as ratios to Jupyter's ``GET /api/status`` measured
in the same run. Prints a table and writes ``benchmarks/results.json``.

    python benchmarks/run.py [--quick]
    python benchmarks/run.py --history     # the cost of a long history only
    python benchmarks/run.py --preflight   # the pre-flight walk next to find(1)
    python benchmarks/run.py --manifest    # recording what an image holds
    python benchmarks/run.py --kernel      # GET jobs/{id} through REST and the service kernel
    python benchmarks/run.py --lease       # ShowLease calls with 20 tabs open (--quick: 30 s)
    python benchmarks/run.py --library     # the library's first page against 1,000 images
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from jupyterlab_modelarts_snapshot.emulator import (  # noqa: E402
    DEMO_ACCESS_KEY,
    DEMO_NOTEBOOK_ID,
    DEMO_PROJECT_ID,
    DEMO_SECRET_KEY,
)

from server_process import JupyterServer, free_port  # noqa: E402

TABS = 50


class RawClient:
    """A minimal keep-alive HTTP/1.1 client, so the load generator costs little CPU of its own."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Authorization: token {self.token}\r\nAccept: application/json\r\n\r\n".encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await self.reader.readexactly(length)
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def polling_tabs(
    server: JupyterServer,
    paths: list[str],
    tabs: int,
    seconds: float,
    interval: float = 1.0,
    opening: dict[str, list[float]] | None = None,
) -> dict[str, list[float]]:
    """Each tab asks for every path every ``interval`` seconds, at its own phase, like open
    JupyterLab pages. With ``opening``, each tab's first round (the page opening) goes there."""
    latencies: dict[str, list[float]] = {path: [] for path in paths}
    deadline = time.monotonic() + seconds

    async def tab() -> None:
        client = RawClient(server.port, server.token)
        await asyncio.sleep(random.random())
        into = opening if opening is not None else latencies
        try:
            while time.monotonic() < deadline:
                started = time.monotonic()
                for path in paths:
                    t0 = time.perf_counter()
                    status = await client.get(path)
                    into.setdefault(path, []).append((time.perf_counter() - t0) * 1000)
                    assert status == 200, (path, status)
                into = latencies
                # (no later than the deadline: a 60 s interval must not outlast a 30 s window)
                now = time.monotonic()
                await asyncio.sleep(max(0.0, min(interval - (now - started), deadline - now)))
        finally:
            await client.close()

    await asyncio.gather(*(tab() for _ in range(tabs)))
    return latencies


async def saturate(server: JupyterServer, path: str, seconds: float, connections: int = 8) -> float:
    """Requests per second with ``connections`` clients asking back to back."""
    count = 0
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal count
        client = RawClient(server.port, server.token)
        try:
            while time.monotonic() < deadline:
                await client.get(path)
                count += 1
        finally:
            await client.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return count / seconds


def upstream_polls(emulator_url: str) -> int:
    counts: dict[str, int] = httpx.get(f"{emulator_url}/_emulator/requests").json()["counts"]
    return counts.get("show_image", 0)


def js_size() -> dict[str, int]:
    static = ROOT / "jupyterlab_modelarts_snapshot" / "labextension" / "static"
    files = {path.name: path.stat().st_size for path in static.glob("*.js")}
    return {"files": len(files), "bytes": sum(files.values())}


def page_load(runs: int) -> dict[str, Any]:
    """Time to ``app.restored`` in Chromium, with and without the extension, alternating."""
    with tempfile.TemporaryDirectory() as tmp:
        without_config = Path(tmp) / "config"
        (without_config / "labconfig").mkdir(parents=True)
        (without_config / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {"jupyterlab-modelarts-snapshot": True}})
        )
        (without_config / "jupyter_server_config.json").write_text(
            json.dumps(
                {"ServerApp": {"jpserver_extensions": {"jupyterlab_modelarts_snapshot": False}}}
            )
        )
        expose = ["--LabApp.expose_app_in_browser=True"]  # window.jupyterapp, to await restored
        servers = {
            "with": JupyterServer(Path(tmp) / "with", Path(tmp) / "state-with", lab=True, extra_args=expose),
            "without": JupyterServer(
                Path(tmp) / "without", Path(tmp) / "state-without", lab=True, extra_args=expose,
                env={"JUPYTER_CONFIG_DIR": str(without_config)},
            ),
        }  # fmt: skip
        try:
            for server in servers.values():
                server.start()
            result = subprocess.run(
                ["node", str(ROOT / "benchmarks" / "page-load.js"), str(runs),
                 f"{servers['with'].url}/lab?token={servers['with'].token}",
                 f"{servers['without'].url}/lab?token={servers['without'].token}"],
                capture_output=True, text=True, check=True, timeout=900,
            )  # fmt: skip
        finally:
            for server in servers.values():
                server.stop()
    timings: dict[str, Any] = json.loads(result.stdout)
    return timings


async def load_phases(
    server: JupyterServer, emulator_url: str, image_path: str, quick: bool
) -> dict[str, Any]:
    window = 20.0 if quick else 60.0
    paths = [image_path, "/api/status"]
    results: dict[str, Any] = {}

    before = upstream_polls(emulator_url)
    await polling_tabs(server, paths, 1, window)
    one_tab = (upstream_polls(emulator_url) - before) * 60 / window

    before = upstream_polls(emulator_url)
    latencies = await polling_tabs(server, paths, TABS, window)
    many_tabs = (upstream_polls(emulator_url) - before) * 60 / window

    for name, path in (("images_id", image_path), ("api_status", "/api/status")):
        values = latencies[path]
        results[f"latency_{name}_ms"] = {
            "requests": len(values),
            "p50": round(statistics.median(values), 2),
            "p99": round(percentile(values, 0.99), 2),
        }
    seconds = 5.0 if quick else 10.0
    status_rps = await saturate(server, "/api/status", seconds)
    images_rps = await saturate(server, image_path, seconds)
    results["throughput_rps"] = {
        "images_id": round(images_rps), "api_status": round(status_rps),
        "ratio": round(images_rps / status_rps, 2),
    }  # fmt: skip
    results["modelarts_image_polls_per_minute"] = {
        "1_tab": round(one_tab, 1),
        f"{TABS}_tabs": round(many_tabs, 1),
    }
    return results


def api_benchmarks(quick: bool) -> dict[str, Any]:
    emulator_port = free_port()
    emulator = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab_modelarts_snapshot.emulator", "--port", str(emulator_port),
         "--init-seconds", "1", "--creating-seconds", "3600"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    os.environ.update(
        MODELARTS_ENDPOINT=emulator_url, HUAWEICLOUD_SDK_PROJECT_ID=DEMO_PROJECT_ID,
        MODELARTS_NOTEBOOK_ID=DEMO_NOTEBOOK_ID, HUAWEICLOUD_SDK_AK=DEMO_ACCESS_KEY,
        HUAWEICLOUD_SDK_SK=DEMO_SECRET_KEY, MODELARTS_METADATA_URL="off",
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        # The default poll interval (10 s), as users run it.
        server = JupyterServer(Path(tmp) / "server", Path(tmp) / "state", poll_interval=10).start()
        try:
            time.sleep(1)  # let the emulator bind
            job = server.api(
                "POST", "jobs", json={"name": "bench", "namespace": "team", "tag": "v1"}
            ).json()
            return asyncio.run(
                load_phases(server, emulator_url, f"/modelarts-snapshot/jobs/{job['id']}", quick)
            )
        finally:
            server.stop()
            emulator.terminate()


HISTORY_SIZES = (10, 5000)
HISTORY_REQUESTS = 300
HISTORY_PAGE = 10  # the same page, so both sizes send the same bytes and only history differs
HELD = re.compile(r"Executing .* took ([0-9.]+) seconds")


def write_history(state_dir: Path, count: int) -> list[str]:
    """``count`` finished saves of this instance, as records on disk (no server involved)."""
    from jupyterlab_modelarts_snapshot.models import Job

    jobs_dir = state_dir / "jobs"
    jobs_dir.mkdir(parents=True)
    ids = []
    start = time.time() - count * 3600
    for index in range(count):
        job_id = f"{index:08x}-0000-4000-8000-{random.getrandbits(48):012x}"
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + index * 3600))
        job = Job(
            id=job_id, name=f"env-{index}", namespace="team", tag=f"v{index}",
            description="a saved environment " * 4, status="ACTIVE",
            status_message="Image saved.", swr_path=f"swr.cn-north-4.myhuaweicloud.com/team/env-{index}:v{index}",
            size_kb=3_481_600, created_at=when, updated_at=when, finished_at=when,
            notebook_id=DEMO_NOTEBOOK_ID,
        )  # fmt: skip
        (jobs_dir / f"{job_id}.json").write_text(json.dumps(job.to_dict(), indent=1))
        ids.append(job_id)
    return ids


def history_run(count: int, watch_loop: bool = False) -> dict[str, Any]:
    """Latency of a page of ``GET jobs`` and of ``GET jobs/{id}`` with ``count`` records.

    With ``watch_loop``, asyncio's debug mode reports each callback that held the server's event
    loop for more than 5 ms while the requests ran (debug mode slows everything a little, so
    latencies come from a run without it).
    """
    with tempfile.TemporaryDirectory() as tmp:
        ids = write_history(Path(tmp) / "state", count)
        extra = [f"--config={ROOT / 'benchmarks' / 'loop_watch_config.py'}"] if watch_loop else []
        server = JupyterServer(
            Path(tmp) / "server", Path(tmp) / "state", poll_interval=10, extra_args=extra
        ).start()
        try:
            t0 = time.perf_counter()
            first = server.api("GET", "jobs", params={"limit": HISTORY_PAGE})
            first_ms = (time.perf_counter() - t0) * 1000
            assert first.status_code == 200 and first.json()["total"] == count
            time.sleep(1)  # the start-up's own work is done
            mark = len(server.log())  # from here on, only the measured requests run
            timings: dict[str, list[float]] = {"page": [], "one": []}
            for _ in range(HISTORY_REQUESTS):
                for kind, path, params in (
                    ("page", "jobs", {"limit": HISTORY_PAGE}),
                    ("one", f"jobs/{random.choice(ids)}", {}),
                ):
                    t0 = time.perf_counter()
                    response = server.api("GET", path, params=params)
                    timings[kind].append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200
            page_bytes = len(first.content)
            held = [float(ms) * 1000 for ms in HELD.findall(server.log()[mark:])]
        finally:
            server.stop()
    result: dict[str, Any] = {
        "records": count,
        "first_request_ms": round(first_ms, 1),
        "page_bytes": page_bytes,
        **{
            f"{kind}_ms": {
                "p50": round(statistics.median(values), 2),
                "p99": round(percentile(values, 0.99), 2),
            }
            for kind, values in timings.items()
        },
    }
    if watch_loop:
        result["loop_held_over_5ms"] = {"count": len(held), "max_ms": max(held, default=0.0)}
    return result


def history_benchmark() -> int:
    os.environ.update(MODELARTS_NOTEBOOK_ID=DEMO_NOTEBOOK_ID, MODELARTS_METADATA_URL="off")
    runs = {count: history_run(count) for count in HISTORY_SIZES}
    watched = history_run(HISTORY_SIZES[-1], watch_loop=True)
    (ROOT / "benchmarks" / "history-results.json").write_text(
        json.dumps({"runs": list(runs.values()), "watched": watched}, indent=2) + "\n"
    )
    small, large = runs[HISTORY_SIZES[0]], runs[HISTORY_SIZES[-1]]
    for kind, label in (
        ("page_ms", f"GET jobs?limit={HISTORY_PAGE}"),
        ("one_ms", "GET jobs/{id}"),
    ):
        ratio = large[kind]["p50"] / small[kind]["p50"]
        print(
            f"{label:<22} p50 / p99: {small[kind]['p50']} / {small[kind]['p99']} ms with "
            f"{small['records']} records, {large[kind]['p50']} / {large[kind]['p99']} ms with "
            f"{large['records']}: {ratio:.2f}x (target <= 2x)"
        )
    held = watched["loop_held_over_5ms"]
    print(
        f"event loop held over 5 ms during {2 * HISTORY_REQUESTS} requests with "
        f"{watched['records']} records: {held['count']} times (longest {held['max_ms']:.1f} ms; "
        "target: none)"
    )
    print(
        f"first request after start (loads the index): {small['first_request_ms']} ms with "
        f"{small['records']} records, {large['first_request_ms']} ms with {large['records']}"
    )
    return 0


PREFLIGHT_FILES = 300_000
FILES_PER_DIR = 100


def make_tree(root: Path, count: int) -> None:
    """``count`` small files, ``FILES_PER_DIR`` per directory, three levels deep."""
    for index in range(count // FILES_PER_DIR):
        folder = root / f"a{index % 30}" / f"b{index % 7}" / f"d{index}"
        folder.mkdir(parents=True)
        for number in range(FILES_PER_DIR):
            (folder / f"f{number}").write_bytes(b"x" * ((number * 37) % 5000))


def resident_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def find_seconds(root: Path, since: float) -> float:
    """``find ROOT -xdev -newermt @SINCE`` over the tree: what the report is held to."""
    t0 = time.perf_counter()
    subprocess.run(
        ["find", str(root), "-xdev", "-newermt", f"@{since:.6f}"],
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return time.perf_counter() - t0


def report_seconds(server: JupyterServer, poll_every: float = 0.02) -> tuple[float, dict[str, Any]]:
    """From ``POST preflight`` until ``GET preflight`` says the report is done, as the page and
    the CLI wait for it."""
    t0 = time.perf_counter()
    assert server.api("POST", "preflight", json={}).status_code == 202
    while True:
        report = server.api("GET", "preflight").json()
        if report["state"] != "running":
            return time.perf_counter() - t0, report
        time.sleep(poll_every)


def preflight_benchmark() -> int:
    """The report as the user waits for it, ``POST preflight`` to ``done`` through the REST
    API, against ``find -xdev -newermt`` over the same warm tree (median of three, alternated);
    the walk alone and what each part of it costs; then, during one more report, the server's
    added resident memory and ``/api/status`` latency."""
    from jupyterlab_modelarts_snapshot.scan import Walk

    os.environ.update(MODELARTS_NOTEBOOK_ID=DEMO_NOTEBOOK_ID, MODELARTS_METADATA_URL="off")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "container"
        since = time.time() - 60
        make_tree(root, PREFLIGHT_FILES)
        server = JupyterServer(
            Path(tmp) / "server",
            Path(tmp) / "state",
            poll_interval=10,
            extra_args=[
                f"--ModelArtsSnapshot.scan_root={root}",
                f"--ModelArtsSnapshot.work_dir={Path(tmp) / 'work'}",
                f"--ModelArtsSnapshot.changes_since={since}",
                "--ModelArtsSnapshot.report_reuse_seconds=0",  # each POST walks again
            ],
        ).start()
        try:
            find_seconds(root, since)  # warm the caches, and the server's first report
            report_seconds(server)
            find_s, report_s, walk_s = [], [], []
            timings: list[dict[str, float]] = []
            for _ in range(3):
                find_s.append(find_seconds(root, since))
                seconds, report = report_seconds(server)
                assert report["estimate"]["files"] == PREFLIGHT_FILES, report["estimate"]
                report_s.append(seconds)
                t0 = time.perf_counter()
                result = Walk(str(root), since, [], timeout=600).run()
                walk_s.append(time.perf_counter() - t0)
                assert result.files == PREFLIGHT_FILES and not result.partial
                timings.append(result.timings)
            assert server.process is not None
            pid = server.process.pid
            for _ in range(20):  # the server settles, then its resident memory is the baseline
                server.http.get("/api/status")
            time.sleep(1)
            baseline = resident_kb(pid)
            peak = baseline
            latencies: list[float] = []
            assert server.api("POST", "preflight", json={}).status_code == 202
            state = "running"
            while state == "running":
                for _ in range(10):
                    t1 = time.perf_counter()
                    assert server.http.get("/api/status").status_code == 200
                    latencies.append((time.perf_counter() - t1) * 1000)
                    peak = max(peak, resident_kb(pid))
                state = server.api("GET", "preflight").json()["state"]
        finally:
            server.stop()
    find_median = statistics.median(find_s)
    results: dict[str, Any] = {
        "files": PREFLIGHT_FILES,
        "find_s": [round(value, 3) for value in find_s],
        "report_s": [round(value, 3) for value in report_s],
        "report_ratio": round(statistics.median(report_s) / find_median, 2),
        "walk_s": [round(value, 3) for value in walk_s],
        "walk_ratio": round(statistics.median(walk_s) / find_median, 2),
        "walk_parts_s": {
            part: round(statistics.median(t[part] for t in timings), 3) for part in timings[0]
        },
        "added_rss_mb": round((peak - baseline) / 1024, 1),
        "api_status_during_walk_ms": {
            "requests": len(latencies),
            "p50": round(statistics.median(latencies), 2),
            "p99": round(percentile(latencies, 0.99), 2),
        },
    }
    (ROOT / "benchmarks" / "preflight-results.json").write_text(
        json.dumps(results, indent=2) + "\n"
    )
    status = results["api_status_during_walk_ms"]
    parts = ", ".join(f"{part} {value} s" for part, value in results["walk_parts_s"].items())
    print(
        f"{PREFLIGHT_FILES:,} new files; find -xdev -newermt: median "
        f"{round(find_median, 3)} s {results['find_s']}\n"
        f"report, POST preflight to done: median {round(statistics.median(report_s), 3)} s "
        f"{results['report_s']}; ratio {results['report_ratio']} (target <= 1.2)\n"
        f"walk alone: median {round(statistics.median(walk_s), 3)} s; ratio "
        f"{results['walk_ratio']}; parts: {parts}\n"
        f"server's resident memory added by the walk: {results['added_rss_mb']} MB (target <= 100)\n"
        f"GET /api/status while the report is made ({status['requests']} requests): "
        f"p50 {status['p50']} ms, p99 {status['p99']} ms (target p99 < 20 ms)"
    )
    return 0


MANIFEST_DISTRIBUTIONS = 400
MANIFEST_DPKG = 2000


def make_environment(root: Path) -> tuple[Path, Path]:
    """A venv with ``MANIFEST_DISTRIBUTIONS`` installed distributions (their dist-info folders,
    which is all the manifest reads) and a dpkg status file of ``MANIFEST_DPKG`` packages."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    for index in range(MANIFEST_DISTRIBUTIONS):
        info = site / f"bench_package_{index}-1.{index}.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Name: bench-package-{index}\nVersion: 1.{index}.0\n")
        (info / "INSTALLER").write_text("pip\n")
    status = root / "dpkg-status"
    status.write_text(
        "\n".join(
            f"Package: bench-deb-{index}\nStatus: install ok installed\nPriority: optional\n"
            f"Architecture: amd64\nVersion: 2.{index}-1ubuntu1\nDescription: a package\n"
            " with a long description\n"
            for index in range(MANIFEST_DPKG)
        )
    )
    return venv / "bin" / "python", status


def save_latency(server: JupyterServer, runs: int) -> list[float]:
    """Milliseconds from POST jobs to its answer (create-image included), ``runs`` times."""
    times = []
    for run in range(runs):
        body = {"name": "bench-env", "namespace": "atelier-auto", "tag": f"v{run}-{time.time_ns()}"}
        t0 = time.perf_counter()
        response = server.api("POST", "jobs", json=body)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 201, response.text
        while server.api("GET", f"jobs/{response.json()['id']}").json()["status"] != "ACTIVE":
            time.sleep(0.2)
    return times


def manifest_benchmark() -> int:
    """Collecting the manifest of 400 Python distributions and 2,000 dpkg packages, and what it
    adds to the time from Save to the create-image call (a server with that environment against
    one with an empty dpkg file and no extra Python)."""
    from jupyterlab_modelarts_snapshot.config import ModelArtsSnapshot
    from jupyterlab_modelarts_snapshot.records import ManifestRecords

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        python, status = make_environment(root)
        settings = ModelArtsSnapshot(
            python_envs=[str(python)], dpkg_status=str(status), conda_roots=[],
            state_dir=str(root / "state"), manifest_dir=str(root / "manifests"),
        )  # fmt: skip
        records = ManifestRecords(settings)
        collect_s = []
        for _ in range(5):
            t0 = time.perf_counter()
            manifest = records.collect(None)
            collect_s.append(time.perf_counter() - t0)
        distributions = sum(len(env["packages"]) for env in manifest["python"])
        assert len(manifest["apt"]) == MANIFEST_DPKG
        empty = root / "empty-status"
        empty.write_text("")
        latencies = {}
        emulator = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab_modelarts_snapshot.emulator", "--port", "0",
             "--init-seconds", "0.2", "--creating-seconds", "0.2"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        try:
            assert emulator.stdout is not None
            url = json.loads(emulator.stdout.readline())["url"]
            env = {
                "MODELARTS_ENDPOINT": url, "MODELARTS_NOTEBOOK_ID": DEMO_NOTEBOOK_ID,
                "HUAWEICLOUD_SDK_PROJECT_ID": DEMO_PROJECT_ID, "HUAWEICLOUD_SDK_AK": DEMO_ACCESS_KEY,
                "HUAWEICLOUD_SDK_SK": DEMO_SECRET_KEY, "MODELARTS_METADATA_URL": "off",
            }  # fmt: skip
            for name, extra in (
                ("large", [f"--ModelArtsSnapshot.python_envs={python}", f"--ModelArtsSnapshot.dpkg_status={status}"]),
                ("small", [f"--ModelArtsSnapshot.dpkg_status={empty}"]),
            ):  # fmt: skip
                server = JupyterServer(
                    root / f"server-{name}", root / f"state-{name}", poll_interval=0.2,
                    extra_args=[*extra, "--ModelArtsSnapshot.conda_roots=[]",
                                f"--ModelArtsSnapshot.scan_root={root / 'nothing'}"],
                    env=env,
                ).start()  # fmt: skip
                try:
                    server.api("GET", "manifest/now")  # the baseline is recorded
                    latencies[name] = save_latency(server, 5)
                finally:
                    server.stop()
        finally:
            emulator.terminate()
            emulator.wait(timeout=10)
    results: dict[str, Any] = {
        "python_distributions": distributions,
        "dpkg_packages": MANIFEST_DPKG,
        "collect_s": {
            "median": round(statistics.median(collect_s), 3),
            "max": round(max(collect_s), 3),
        },
        "save_ms_large": round(statistics.median(latencies["large"]), 1),
        "save_ms_small": round(statistics.median(latencies["small"]), 1),
    }
    results["added_ms"] = round(results["save_ms_large"] - results["save_ms_small"], 1)
    (ROOT / "benchmarks" / "manifest-results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(
        f"manifest of {distributions} Python distributions and {MANIFEST_DPKG} dpkg packages: "
        f"median {results['collect_s']['median']} s, max {results['collect_s']['max']} s "
        "(target < 3 s)\n"
        f"POST jobs to its answer (create-image included), median of 5: "
        f"{results['save_ms_large']} ms with that environment, {results['save_ms_small']} ms "
        f"with an empty one: the manifest adds {results['added_ms']} ms (target < 3,000 ms)"
    )
    return 0


KERNEL_REQUESTS = 1000
KERNEL_WARMUP = 100
KERNEL_MODULE = b"jupyterlab_modelarts_snapshot.service_kernel"


def service_kernel_pid(server_pid: int) -> int:
    """The service kernel the server started: its child running the kernel's module."""
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and KERNEL_MODULE in (entry / "cmdline").read_bytes():
                status = (entry / "status").read_text()
                if f"\nPPid:\t{server_pid}\n" in status:
                    return int(entry.name)
        except OSError:  # it ended meanwhile
            continue
    raise RuntimeError(f"no service kernel is running under the server (process {server_pid})")


def kilobytes(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


async def kernel_latencies(server: JupyterServer, job_id: str) -> dict[str, Any]:
    """``GET jobs/{id}`` through REST and through the service kernel's comm, one after the
    other, ``KERNEL_REQUESTS`` times each after ``KERNEL_WARMUP``, and Jupyter's own
    ``/api/status`` beside them; then the kernel's resident memory."""
    from service_kernel_client import ServiceKernelClient

    path = f"jobs/{job_id}"
    t0 = time.perf_counter()
    kernel = await ServiceKernelClient(server.url, server.token).start()
    first = await kernel.request("GET", path)
    first_ms = (time.perf_counter() - t0) * 1000  # the session, the kernel's start, the answer
    assert first.status == 200, first.text
    rest = httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"token {server.token}"}, timeout=10
    )
    timings: dict[str, list[float]] = {"rest": [], "kernel": [], "api_status": []}
    try:
        for index in range(KERNEL_WARMUP + KERNEL_REQUESTS):
            measured = index >= KERNEL_WARMUP
            t1 = time.perf_counter()
            response = await rest.get(f"/modelarts-snapshot/{path}")
            t2 = time.perf_counter()
            reply = await kernel.request("GET", path)
            t3 = time.perf_counter()
            status = await rest.get("/api/status")
            t4 = time.perf_counter()
            assert response.status_code == reply.status == status.status_code == 200
            # The same job either way (its record may change between the two: the server and
            # the kernel each poll ModelArts every 10 s and write what they hear).
            assert response.json()["id"] == reply.json()["id"] == job_id
            if measured:
                timings["rest"].append((t2 - t1) * 1000)
                timings["kernel"].append((t3 - t2) * 1000)
                timings["api_status"].append((t4 - t3) * 1000)
        assert server.process is not None
        pid = service_kernel_pid(server.process.pid)
        rss, peak = kilobytes(pid, "VmRSS"), kilobytes(pid, "VmHWM")
    finally:
        await rest.aclose()
        await kernel.close(shutdown=True)
    return {
        "requests": KERNEL_REQUESTS,
        "warmup": KERNEL_WARMUP,
        **{
            f"{name}_ms": {
                "p50": round(statistics.median(values), 2),
                "p99": round(percentile(values, 0.99), 2),
            }
            for name, values in timings.items()
        },
        "first_answer_ms": round(first_ms, 1),
        "kernel_rss_mb": round(rss / 1024, 1),
        "kernel_peak_rss_mb": round(peak / 1024, 1),
    }


def kernel_run() -> dict[str, Any]:
    """One Jupyter server with the server extension loaded and the service kernel's kernelspec
    on its JUPYTER_PATH (as ``install`` makes it findable), against the emulator, with a save
    under way whose status is asked for."""
    from jupyterlab_modelarts_snapshot.installer import write_kernelspec

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        write_kernelspec(sys.executable, str(data))
        emulator = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab_modelarts_snapshot.emulator", "--port", "0",
             "--init-seconds", "1", "--creating-seconds", "3600"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        try:
            assert emulator.stdout is not None
            url = json.loads(emulator.stdout.readline())["url"]
            env = {
                "MODELARTS_ENDPOINT": url, "MODELARTS_NOTEBOOK_ID": DEMO_NOTEBOOK_ID,
                "HUAWEICLOUD_SDK_PROJECT_ID": DEMO_PROJECT_ID, "HUAWEICLOUD_SDK_AK": DEMO_ACCESS_KEY,
                "HUAWEICLOUD_SDK_SK": DEMO_SECRET_KEY, "MODELARTS_METADATA_URL": "off",
                "JUPYTER_PATH": os.pathsep.join(filter(None, [str(data), os.environ.get("JUPYTER_PATH")])),
            }  # fmt: skip
            # The default poll interval (10 s), as users run it; the REST server and the kernel
            # each follow the save.
            server = JupyterServer(
                Path(tmp) / "server", Path(tmp) / "state", poll_interval=10, env=env
            ).start()
            try:
                created = server.api(
                    "POST", "jobs", json={"name": "bench", "namespace": "team", "tag": "v1"}
                )
                assert created.status_code == 201, created.text
                return asyncio.run(kernel_latencies(server, created.json()["id"]))
            finally:
                server.stop()
        finally:
            emulator.terminate()
            emulator.wait(timeout=10)


def kernel_rows(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    rest, kernel, status = results["rest_ms"], results["kernel_ms"], results["api_status_ms"]
    return [
        (f"GET jobs/{{id}} through REST, {results['requests']:,} in a row: p50 / p99",
         f"{rest['p50']} / {rest['p99']} ms", "p99 < 20 ms"),
        ("GET jobs/{id} through the service kernel, the same: p50 / p99",
         f"{kernel['p50']} / {kernel['p99']} ms", "p99 < 20 ms"),
        ("GET /api/status between them: p50 / p99", f"{status['p50']} / {status['p99']} ms", "baseline"),
        ("service kernel's resident memory after the run (peak)",
         f"{results['kernel_rss_mb']} MB ({results['kernel_peak_rss_mb']} MB)", "< 150 MB"),
        ("session start to the kernel's first answer", f"{results['first_answer_ms']} ms", ""),
    ]  # fmt: skip


def print_rows(rows: list[tuple[str, str, str]]) -> None:
    width = max(len(row[0]) for row in rows)
    for name, value, target in rows:
        print(
            f"{name:<{width}}  {value:<36} target {target}"
            if target
            else f"{name:<{width}}  {value}"
        )


def kernel_benchmark() -> int:
    results = kernel_run()
    (ROOT / "benchmarks" / "kernel-results.json").write_text(json.dumps(results, indent=2) + "\n")
    print_rows(kernel_rows(results))
    return 0


LEASE_TABS = 20
LEASE_WINDOW = {"full": 120.0, "quick": 30.0}  # the "20 tabs open for 2 minutes"
# A short re-read interval (the default is 300 s), so that one window holds several re-reads:
# four in 120 s, three in the quick 30 s.
LEASE_REFRESH = {"full": 30, "quick": 10}
PAGE_READ_SECONDS = 60.0  # src/lease.ts LEASE_READ_MS
STRESS_READ_SECONDS = 2.0  # 30 times the page's rate: the reads must follow the interval, not tabs
# Far from the warning time (15 minutes before the stop), so no warning-time re-read is due.
LEASE_STOPS_IN = 4 * 3600
LEASE_PATH = "/modelarts-snapshot/lease"


def lease_phase(
    root: Path, env: dict[str, str], emulator_url: str, refresh: int, window: float, every: float
) -> dict[str, Any]:
    """A fresh server (nothing read yet), then ``LEASE_TABS`` tabs opened together, each reading
    GET lease every ``every`` seconds for ``window`` seconds, and what ModelArts was asked."""
    httpx.post(f"{emulator_url}/_emulator/lease", json={"stops_in_seconds": LEASE_STOPS_IN})
    server = JupyterServer(
        root, root / "state", poll_interval=10, env=env,
        extra_args=[f"--ModelArtsSnapshot.lease_refresh_seconds={refresh}"],
    ).start()  # fmt: skip
    try:
        # Counted from here: the server's own start-up is not the tabs'.
        httpx.delete(f"{emulator_url}/_emulator/requests")
        paths = [LEASE_PATH] if every == PAGE_READ_SECONDS else [LEASE_PATH, "/api/status"]
        started = time.time()
        # The tabs' first reads, on a fresh server, wait for the one ShowLease they share: kept
        # apart from the reads that follow.
        opening: dict[str, list[float]] = {}
        latencies = asyncio.run(polling_tabs(server, paths, LEASE_TABS, window, every, opening))
        elapsed = time.time() - started
        upstream = httpx.get(f"{emulator_url}/_emulator/requests").json()
        lease = server.api("GET", "lease").json()  # (after the count: it may read again)
        assert lease["enabled"] and lease["warning"] is None, lease
    finally:
        server.stop()
    reads = [entry["at"] - started for entry in upstream["log"] if entry["route"] == "show_lease"]
    counts = dict(upstream["counts"])
    result: dict[str, Any] = {
        "read_every_s": every,
        "elapsed_s": round(elapsed, 1),
        "show_lease": counts.pop("show_lease", 0),
        "ceiling": math.ceil(window / refresh) + 1,
        "show_lease_at_s": [round(at, 1) for at in reads],
        "shortest_gap_s": round(min(b - a for a, b in zip(reads, reads[1:])), 1)
        if len(reads) > 1
        else None,
        "other_modelarts_calls": counts,
        "lease_requests": len(opening[LEASE_PATH]) + len(latencies[LEASE_PATH]),
        "opening_lease_ms": {
            "requests": len(opening[LEASE_PATH]),
            "p50": round(statistics.median(opening[LEASE_PATH]), 2),
            "max": round(max(opening[LEASE_PATH]), 2),
        },
    }
    for name, path in (("lease", LEASE_PATH), ("api_status", "/api/status")):
        if latencies.get(path):  # (at the page's rate, a 30 s window has no second read)
            values = latencies[path]
            result[f"{name}_ms"] = {
                "requests": len(values),
                "p50": round(statistics.median(values), 2),
                "p99": round(percentile(values, 0.99), 2),
            }
    return result


def lease_benchmark(quick: bool) -> int:
    """ShowLease calls while ``LEASE_TABS`` tabs count down: first at the page's own rate, then
    reading 30 times as often; each against the emulator's request log."""
    mode = "quick" if quick else "full"
    window, refresh = LEASE_WINDOW[mode], LEASE_REFRESH[mode]
    t0 = time.perf_counter()
    load = [round(os.getloadavg()[0], 2)]
    with tempfile.TemporaryDirectory() as tmp:
        emulator = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab_modelarts_snapshot.emulator", "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        try:
            assert emulator.stdout is not None
            url = json.loads(emulator.stdout.readline())["url"]
            env = {
                "MODELARTS_ENDPOINT": url, "MODELARTS_NOTEBOOK_ID": DEMO_NOTEBOOK_ID,
                "HUAWEICLOUD_SDK_PROJECT_ID": DEMO_PROJECT_ID, "HUAWEICLOUD_SDK_AK": DEMO_ACCESS_KEY,
                "HUAWEICLOUD_SDK_SK": DEMO_SECRET_KEY, "MODELARTS_METADATA_URL": "off",
            }  # fmt: skip
            phases = {
                name: lease_phase(Path(tmp) / name, env, url, refresh, window, every)
                for name, every in (("page", PAGE_READ_SECONDS), ("stress", STRESS_READ_SECONDS))
            }
        finally:
            emulator.terminate()
            emulator.wait(timeout=10)
    results: dict[str, Any] = {
        "tabs": LEASE_TABS,
        "window_s": window,
        "lease_refresh_seconds": refresh,
        "stops_in_seconds": LEASE_STOPS_IN,
        **phases,
        "run_s": round(time.perf_counter() - t0, 1),
        # Latency is this machine's: what else ran beside it shows here (counts do not depend
        # on it).
        "load_average_1m": {"start": load[0], "end": round(os.getloadavg()[0], 2)},
    }
    (ROOT / "benchmarks" / "lease-results.json").write_text(json.dumps(results, indent=2) + "\n")
    page, stress = phases["page"], phases["stress"]
    ceiling = f"<= {page['ceiling']} ({window:g} s / {refresh} s + 1)"
    lease, status = stress["lease_ms"], stress["api_status_ms"]
    opening = stress["opening_lease_ms"]
    other = sum(page["other_modelarts_calls"].values()) + sum(
        stress["other_modelarts_calls"].values()
    )
    print_rows([
        (f"ShowLease calls, {LEASE_TABS} tabs reading GET lease every {PAGE_READ_SECONDS:g} s "
         f"(the page's rate), {window:g} s", str(page["show_lease"]), ceiling),
        (f"ShowLease calls, {LEASE_TABS} tabs reading every {STRESS_READ_SECONDS:g} s, {window:g} s",
         str(stress["show_lease"]), ceiling),
        (f"shortest time between two ShowLease calls (every {STRESS_READ_SECONDS:g} s)",
         f"{stress['shortest_gap_s']} s", f">= {refresh} s (lease_refresh_seconds)"),
        ("other ModelArts calls in both windows", str(other), ""),
        (f"GET lease requests served, every {PAGE_READ_SECONDS:g} s / every {STRESS_READ_SECONDS:g} s",
         f"{page['lease_requests']:,} / {stress['lease_requests']:,}", ""),
        (f"the {LEASE_TABS} tabs' first GET lease, opened together (one ShowLease): p50 / max",
         f"{opening['p50']} / {opening['max']} ms", ""),
        (f"GET lease latency after that, every {STRESS_READ_SECONDS:g} s: p50 / p99",
         f"{lease['p50']} / {lease['p99']} ms", "p99 < 10 ms"),
        ("GET /api/status, same load: p50 / p99", f"{status['p50']} / {status['p99']} ms", "baseline"),
        ("run time", f"{results['run_s']} s", ""),
    ])  # fmt: skip
    # The count is the requirement (not a figure of this machine): a run over it fails.
    return 0 if all(p["show_lease"] <= p["ceiling"] for p in phases.values()) else 1


LIBRARY_IMAGES = 1000
LIBRARY_NAMES = 10
LIBRARY_REQUESTS = 300


def library_benchmark() -> int:
    """The library's first page against 1,000 seeded saved images: the upstream calls and the
    time of the first (cold) page, then ``LIBRARY_REQUESTS`` more pages within the cache's
    lifetime (latency, and the calls they send: none)."""
    emulator = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab_modelarts_snapshot.emulator", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert emulator.stdout is not None
        url = json.loads(emulator.stdout.readline())["url"]
        control = httpx.Client(base_url=url, timeout=60)
        now_ms = int(time.time() * 1000)
        seeded = control.post(
            "/_emulator/images",
            json=[
                {
                    "name": f"env-{index % LIBRARY_NAMES}",
                    "namespace": "bench-org",
                    "tag": f"t{index:04d}",
                    "create_at": now_ms - index * 60_000,
                }
                for index in range(LIBRARY_IMAGES)
            ],
        )  # fmt: skip
        seeded.raise_for_status()
        env = {
            "MODELARTS_ENDPOINT": url, "SWR_ENDPOINT": url, "MODELARTS_NOTEBOOK_ID": DEMO_NOTEBOOK_ID,
            "HUAWEICLOUD_SDK_PROJECT_ID": DEMO_PROJECT_ID, "HUAWEICLOUD_SDK_AK": DEMO_ACCESS_KEY,
            "HUAWEICLOUD_SDK_SK": DEMO_SECRET_KEY, "MODELARTS_METADATA_URL": "off",
        }  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            server = JupyterServer(
                Path(tmp) / "server", Path(tmp) / "state", poll_interval=10, env=env
            ).start()
            try:
                control.delete("/_emulator/requests")
                page = {"namespace": "bench-org", "limit": "20"}
                t0 = time.perf_counter()
                first = server.api("GET", "library", params=page)
                cold_ms = (time.perf_counter() - t0) * 1000
                assert first.status_code == 200, first.text
                assert first.json()["total_images"] == LIBRARY_IMAGES
                cold_calls = control.get("/_emulator/requests").json()["counts"]
                latencies = []
                for _ in range(LIBRARY_REQUESTS):
                    t1 = time.perf_counter()
                    assert server.api("GET", "library", params=page).status_code == 200
                    latencies.append((time.perf_counter() - t1) * 1000)
                warm_calls = control.get("/_emulator/requests").json()["counts"]
            finally:
                server.stop()
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    results = {
        "images": LIBRARY_IMAGES,
        "first_page_ms": round(cold_ms, 1),
        "first_page_upstream_calls": cold_calls,
        "cached_pages": LIBRARY_REQUESTS,
        "cached_page_ms": {
            "p50": round(statistics.median(latencies), 2),
            "p99": round(percentile(latencies, 0.99), 2),
        },
        "upstream_calls_after_first_page": {
            route: count - cold_calls.get(route, 0)
            for route, count in warm_calls.items()
            if count != cold_calls.get(route, 0)
        },
    }
    (ROOT / "benchmarks" / "library-results.json").write_text(json.dumps(results, indent=2) + "\n")
    cached = results["cached_page_ms"]
    print(
        f"library, first page of {LIBRARY_IMAGES:,} saved images: {results['first_page_ms']} ms, "
        f"upstream calls {cold_calls}\n"
        f"{LIBRARY_REQUESTS} more pages within the cache's lifetime: p50 {cached['p50']} ms, "
        f"p99 {cached['p99']} ms; upstream calls {results['upstream_calls_after_first_page']}"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="shorter windows, fewer page loads")
    parser.add_argument("--no-browser", action="store_true", help="skip the page-load benchmark")
    parser.add_argument(
        "--history", action="store_true", help="only the cost of a history of 5,000 saves"
    )
    parser.add_argument(
        "--preflight", action="store_true", help="only the pre-flight walk of 300,000 files"
    )
    parser.add_argument(
        "--manifest", action="store_true", help="only the manifest of 400 + 2,000 packages"
    )
    parser.add_argument(
        "--kernel",
        action="store_true",
        help="only GET jobs/{id} through REST and through the service kernel, and its memory",
    )
    parser.add_argument(
        "--lease",
        action="store_true",
        help="only the ShowLease calls of 20 tabs counting down (120 s twice; --quick: 30 s)",
    )
    parser.add_argument(
        "--library",
        action="store_true",
        help="only the library's first page against 1,000 saved images, and cached pages",
    )
    args = parser.parse_args()
    if args.library:
        return library_benchmark()
    if args.lease:
        return lease_benchmark(args.quick)
    if args.manifest:
        return manifest_benchmark()
    if args.kernel:
        return kernel_benchmark()
    if args.history:
        return history_benchmark()
    if args.preflight:
        return preflight_benchmark()

    results = api_benchmarks(args.quick)
    results["service_kernel"] = kernel_run()
    results["labextension_js"] = js_size()
    if not args.no_browser:
        results["page_load_ms"] = page_load(5 if args.quick else 15)
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=2) + "\n")

    lat_i, lat_s = results["latency_images_id_ms"], results["latency_api_status_ms"]
    rows = [
        ("GET jobs/{id}, 50 tabs @1/s: p50 / p99", f"{lat_i['p50']} / {lat_i['p99']} ms", "p99 < 10 ms"),
        ("GET /api/status, same load: p50 / p99", f"{lat_s['p50']} / {lat_s['p99']} ms", "baseline"),
        ("saturated throughput jobs/{id} : /api/status",
         f"{results['throughput_rps']['images_id']} : {results['throughput_rps']['api_status']} req/s = {results['throughput_rps']['ratio']}",
         ">= 0.8"),
        ("ModelArts image polls per minute, 1 tab / 50 tabs",
         f"{results['modelarts_image_polls_per_minute']['1_tab']} / {results['modelarts_image_polls_per_minute'][f'{TABS}_tabs']}",
         "independent of tabs"),
        ("labextension's own JavaScript", f"{results['labextension_js']['bytes'] / 1000:.1f} KB in {results['labextension_js']['files']} files", "< 100 KB"),
    ]  # fmt: skip
    if "page_load_ms" in results:
        load = results["page_load_ms"]
        rows.append((
            "JupyterLab to app.restored, with / without (median)",
            f"{load['with']['median']} / {load['without']['median']} ms = {load['ratio']}",
            "< 1.05",
        ))  # fmt: skip
    rows += kernel_rows(results["service_kernel"])
    print_rows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
