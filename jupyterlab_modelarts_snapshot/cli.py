"""``jupyter modelarts-snapshot``: save, follow and list image saves from a terminal or a script.

It reads the same Jupyter config files and environment as the server extension, applies the
same rules and keeps the same job records, so a save started here shows in JupyterLab too.

Exit codes: 0 saved or accepted; 1 the save failed; otherwise the error's code from the table
in ``exceptions.py``: 2 invalid input; 3 not ready (see ``doctor``); 4 another save is
unfinished; 5 ModelArts refused; 6 ModelArts did not answer; 7 no such save; 8 a pre-flight
check refuses the save; 9 the state directory has no room for the save's records.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from . import emulator, i18n, installer
from .config import ModelArtsSnapshot, load_settings
from .exceptions import (
    EXIT_OK,
    EXIT_SAVE_FAILED,
    OUTCOMES,
    CheckBlocked,
    NotReady,
    SnapshotError,
    UnknownJob,
    UpstreamError,
    outcome,
)
from .i18n import _, tr
from .library import KEEP_MAX, LIBRARY_LIMIT_MAX
from .models import (
    LEVELS,
    SERVICE_KERNEL,
    Check,
    DeletedImage,
    Job,
    Lease,
    Library,
    PreflightReport,
    PruneResult,
    RestoreScript,
    SavedImage,
    StopAfterSave,
    moment,
)
from .rebuild import REBUILD_FILES, rebuild_file
from .rules import validate_save_request
from .service import SaveService, build_service
from .sizes import human_bytes


def _human_size(size_kb: int | None) -> str:
    return human_bytes(size_kb * 1024) if size_kb else "-"


def describe_job(job: Job) -> str:
    lines = [
        tr("{label} in {namespace}  [{status}]", label=job.label, namespace=job.namespace,
           status=job.status),
        tr("  id:       {id}", id=job.id),
        tr("  started:  {at}", at=job.created_at),
    ]  # fmt: skip
    if job.status_message:
        lines.append(tr("  message:  {message}", message=job.status_message))
    if job.last_error and not job.finished:
        lines.append(
            tr("  not checked since {at}: {message}", at=job.updated_at,
               message=job.last_error.message)
        )  # fmt: skip
        if job.last_error.request_id:
            lines.append(
                tr("  request:  {id} (ModelArts request ID)", id=job.last_error.request_id)
            )
    if job.finished_at:
        lines.append(tr("  finished: {at}", at=job.finished_at))
    if job.swr_path:
        lines.append(
            tr("  image:    {path}  ({size})", path=job.swr_path, size=_human_size(job.size_kb))
        )
        if job.status == "ACTIVE":
            lines.append(tr("  pull:     docker pull {path}", path=job.swr_path))
    if job.size_check_skipped:
        lines.append(tr("  size:     not checked: saved without waiting for the size check"))
    if job.stop:
        lines.append(describe_stop(job.stop))
    return "\n".join(lines)


def describe_stop(stop: StopAfterSave) -> str:
    if stop.state == "pending":
        return tr("  stop:     the instance stops once the image is saved")
    if stop.state == "stopping":
        return tr("  stop:     sent at {at}, not yet confirmed", at=_local_time(stop.at))
    if stop.state == "stopped":
        return tr("  stop:     stopped after saving, at {at}", at=_local_time(stop.at))
    return tr("  stop:     not stopped: {reason}", reason=i18n.render(stop.reason or ""))


def _local_time(at: str | None) -> str:
    """An API time (ISO, UTC) as this machine's local time, to the minute."""
    if not at:
        return "?"
    return moment(at).astimezone().strftime("%Y-%m-%d %H:%M %Z")


def _duration_words(seconds: float) -> str:
    minutes = max(0, int(seconds // 60))
    if minutes >= 60:
        return tr("{hours} h {minutes} min", hours=minutes // 60, minutes=minutes % 60)
    return tr("{minutes} min", minutes=minutes)


def describe_lease(lease: Lease) -> str:
    """When the auto-stop comes, as the panel says it."""
    if not lease.enabled or not lease.stop_at:
        return tr("This instance has no auto-stop.")
    left = (moment(lease.stop_at) - moment(lease.server_time)).total_seconds()
    lines = [
        tr("Stops at {at}, in {left}", at=_local_time(lease.stop_at), left=_duration_words(left))
        if left > 0
        else tr("The stop time ({at}) has passed.", at=_local_time(lease.stop_at)),
        tr("  lease:    {type}, {hours} h", type=lease.type or "?",
           hours=round((lease.duration_ms or 0) / 3_600_000, 2)),
    ]  # fmt: skip
    if lease.estimate:
        lines.append(
            tr(
                "  estimate: ModelArts' lease can be read two ways (or counts idle time); the "
                "stop may come at another time."
            )
        )
    if lease.warning and lease.warning.message:
        lines.append(tr("  warning:  {message}", message=i18n.render(lease.warning.message)))
    if lease.last_error:
        lines.append(
            tr("  not read since {at}: {message}", at=lease.checked_at or "?",
               message=i18n.render(lease.last_error.message))
        )  # fmt: skip
    return "\n".join(lines)


class Output:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def result(self, data: Any, text: str) -> None:
        # --json: the keys never change; the messages in it are in the reader's language.
        print(json.dumps(i18n.render(data), indent=2) if self.as_json else text)

    def error(self, error: SnapshotError) -> int:
        """Report an error from the table in ``exceptions.py`` and return its exit code."""
        code = outcome(error).exit_code
        body = error.body()
        if self.as_json:
            self.result({"error": error.message, "exit_code": code, **body}, "")
            return code
        field = body.get("field")
        print(
            tr("error: {field}: {message}", field=field, message=error.message)
            if field
            else tr("error: {message}", message=error.message),
            file=sys.stderr,
        )
        if body.get("request_id"):
            print(request_id_line(body["request_id"]), file=sys.stderr)
        return code


def request_id_line(request_id: str) -> str:
    return tr("ModelArts request ID (for Huawei support): {id}", id=request_id)


def save_body(args: argparse.Namespace) -> dict[str, Any]:
    """The save request that ``save``'s arguments give (the CLI's and the magic's)."""
    body = {"name": args.name, "namespace": args.namespace}
    for key in ("tag", "description", "workspace_id"):
        if getattr(args, key) is not None:
            body[key] = getattr(args, key)
    if getattr(args, "stop", False):
        body["stop_after_save"] = True
    if getattr(args, "now", False):
        body["skip_size_check"] = True
    return body


# Check levels and report states are codes in --json; in the text, words in the reader's language.
# The levels are openapi.json's (models.LEVELS); tests/test_contract.py holds this table to them.
LEVEL_WORDS = {"block": _("block"), "warn": _("warn"), "info": _("info"), "ok": _("ok")}
assert set(LEVEL_WORDS) == set(LEVELS), "a check level has no word"
STATE_WORDS = {"running": _("running"), "done": _("done"), "failed": _("failed")}


def describe_report(report: PreflightReport) -> str:
    """The pre-flight report as ``check`` prints it: the estimate, the largest directories and
    each check with what it found (credential files by path and kind only)."""
    lines = [
        tr(
            "Pre-flight report ({state}, started {at})",
            state=STATE_WORDS.get(report.state, report.state),
            at=report.started_at,
        )
    ]
    if report.message:
        lines.append(f"  {i18n.render(report.message)}")
    if report.estimate:
        figures = {
            "size": human_bytes(report.estimate.bytes),
            "files": report.estimate.files,
            "share": report.estimate.bytes / report.estimate.limit_bytes,
            "limit": human_bytes(report.estimate.limit_bytes),
        }
        lines.append(
            tr(
                "The save adds {size} in {files} files ({share:.0%} of the {limit} limit), at "
                "least: the walk hit its time limit.",
                **figures,
            )
            if report.partial
            else tr(
                "The save adds {size} in {files} files ({share:.0%} of the {limit} limit).",
                **figures,
            )
        )
    if report.largest:
        lines.append(tr("Largest additions:"))
        lines += [f"  {human_bytes(e.bytes or 0):>9}  {e.path}" for e in report.largest]
    lines.append(tr("Checks:"))
    for check in report.checks:
        level = i18n.render(LEVEL_WORDS.get(check.level, check.level))
        lines.append(f"  [{level}] {check.id}: {i18n.render(check.message)}")
        for item in check.items:
            lines.append("      " + _describe_item(check, item))
    return "\n".join(lines)


def _describe_item(check: Check, item: Any) -> str:
    if check.id == "caches":
        return f"{item.path}  ({item.kind}, {human_bytes(item.bytes or 0)})"
    if check.id == "secrets":
        return f"{item.path}  ({item.kind})"
    if item.kind in ("process", "kernel"):
        return f"{item.kind} {item.id}: {item.name}"
    return f"{item.kind}: {item.name or item.path}"


def _blocking(report: PreflightReport) -> Check | None:
    return next((check for check in report.checks if check.level == "block"), None)


async def _preflight(args: argparse.Namespace, service: SaveService, out: Output) -> int:
    given = {key: getattr(args, key) for key in ("name", "namespace", "tag")}
    report = await service.finished_preflight({k: v for k, v in given.items() if v} or None)
    out.result(report.to_dict(), describe_report(report))
    return OUTCOMES[CheckBlocked].exit_code if _blocking(report) else EXIT_OK


async def confirmed(question: str) -> bool:
    """Ask on the terminal; only y or yes is a yes (no terminal to answer: no)."""
    try:
        answer = await asyncio.to_thread(input, question)
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


async def _cleanup(args: argparse.Namespace, service: SaveService, out: Output) -> int:
    report = await service.finished_preflight(None)
    caches = report.check("caches")
    listed = [item for item in (caches.items if caches else []) if item.bytes]
    if not listed:
        print(tr("No cache adds to the image: nothing to clean."))
        return EXIT_OK
    print(tr("These caches would go into the image; cleaning empties them:"))
    for item in listed:
        print(f"  {human_bytes(item.bytes or 0):>9}  {item.path}  ({item.kind})")
    total = human_bytes(sum(item.bytes or 0 for item in listed))
    question = tr("Empty them and free {size}? Nothing else is deleted. [y/N] ", size=total)
    if not args.yes and not await confirmed(question):
        print(tr("Nothing was deleted."))
        return EXIT_OK
    result = await service.clean_caches({"paths": [item.path for item in listed]})
    print(tr("Cleaned: the image will carry {size} less.", size=human_bytes(result.freed_bytes)))
    return EXIT_OK


def describe_manifest(manifest: dict[str, Any]) -> str:
    os_name = manifest.get("os", {}).get("pretty_name") or tr("unknown OS")
    lines = [tr("OS:     {name}", name=os_name)]
    image = manifest.get("image") or {}
    if image:
        lines.append(
            tr("Image:  {image} ({id})", image=image.get("swr_path") or image.get("name"),
               id=image.get("id"))
        )  # fmt: skip
    for env in manifest.get("python", []):
        about = {"version": env["version"], "prefix": env["prefix"], "count": len(env["packages"])}
        lines.append(
            tr("Python: {version} at {prefix}: {count} distributions, kernels {kernels}",
               kernels=", ".join(env["kernels"]), **about)
            if env.get("kernels")
            else tr("Python: {version} at {prefix}: {count} distributions", **about)
        )  # fmt: skip
    for env in manifest.get("conda", []):
        lines.append(
            tr("conda:  {prefix}: {count} packages", prefix=env["prefix"],
               count=len(env["packages"]))
        )  # fmt: skip
    lines.append(tr("apt:    {count} packages", count=len(manifest.get("apt", []))))
    gpu = manifest.get("gpu") or {}
    if any(gpu.values()):
        lines.append(
            tr("GPU:    CUDA {cuda}, cuDNN {cudnn}, driver {driver}", cuda=gpu.get("cuda") or "-",
               cudnn=gpu.get("cudnn") or "-", driver=gpu.get("driver") or "-")
        )  # fmt: skip
    return "\n".join(lines)


def describe_changes(changes: dict[str, Any]) -> str:
    lines = [
        tr("Compared with the parent image:")
        if changes["parent"] == "lineage"
        else tr("Compared with the baseline:")
    ]
    for manager in ("pip", "conda", "apt"):
        part = changes[manager]
        lines += [f"  {manager} + {item['name']} {item['version']}" for item in part["added"]]
        lines += [
            f"  {manager} ~ {item['name']} {item['old']} -> {item['new']}"
            for item in part["changed"]
        ]
        lines += [f"  {manager} - {item['name']} {item['version']}" for item in part["removed"]]
    if len(lines) == 1:
        lines.append(tr("  no package added, removed or changed"))
    return "\n".join(lines)


# The CLI's --format word for each rebuild file (rebuild.py has both).
REBUILD_FORMATS = {word: name for name, word in REBUILD_FILES.items()}


async def _manifest(args: argparse.Namespace, service: SaveService, out: Output) -> int:
    if args.id:
        try:
            job, record = await service.job_record(args.id)
        except UnknownJob:  # said in the CLI's words
            return out.error(
                UnknownJob(
                    _(
                        "No manifest is recorded for a save with ID '{id}'; 'list' shows the "
                        "saves.",
                        id=args.id,
                    )
                )
            )
        label = job.label
    else:
        record = await service.manifest_now()
        label = "this-instance:now"
    if args.format in REBUILD_FORMATS:
        print(
            rebuild_file(
                REBUILD_FORMATS[args.format],
                record["manifest"],
                record["changes"],
                label,
                service.settings.work_dir,
            ),
            end="",
        )
    elif args.format == "json":
        print(json.dumps(record["changes"] if args.changes else record["manifest"], indent=2))
    else:
        print(
            describe_changes(record["changes"])
            if args.changes
            else describe_manifest(record["manifest"])
        )
    return EXIT_OK


def _ended(job: Job) -> int:
    return EXIT_SAVE_FAILED if job.failed else EXIT_OK


async def _save(args: argparse.Namespace, service: SaveService, out: Output) -> int:
    body: dict[str, Any] = save_body(args)
    validate_save_request(body)  # bad input is refused at once, before the walk
    # The pre-flight report first: what the image adds, and anything that refuses it. With
    # --now the walk is skipped; the save still checks the instance and the tag.
    if args.now:
        if not out.as_json:
            print(
                tr(
                    "The size check is skipped (--now): ModelArts refuses an image over its size "
                    "limit only after pausing the instance. The instance and the tag are still "
                    "checked."
                ),
                file=sys.stderr,
            )
    else:
        image = {key: body[key] for key in ("name", "namespace", "tag") if key in body}
        report = await service.finished_preflight(image if args.tag else None)
        if not out.as_json:
            print(describe_report(report), file=sys.stderr)
    if args.force:
        body["force"] = True
    job = await service.start_save(body)
    if not out.as_json:
        print(tr("Save started. The instance is paused while ModelArts saves it."))
        print(describe_job(job))
    if args.wait or args.stop:
        job = await service.wait(job.id)
    if out.as_json:
        out.result(job.to_dict(), "")
    elif args.wait or args.stop:
        print(describe_job(job))
    return _ended(job)


async def lease_for(args: argparse.Namespace, service: SaveService) -> Lease:
    """What ``lease`` asks (the CLI's and the magic's): extend with --extend, else read."""
    if args.extend is not None:
        return await service.extend_lease({"hours": args.extend})
    return await service.lease_status()


async def _lease(args: argparse.Namespace, service: SaveService, out: Output) -> int:
    lease = await lease_for(args, service)
    out.result(lease.to_dict(), describe_lease(lease))
    return EXIT_OK


def describe_restore_script(script: RestoreScript) -> str:
    lines = [
        tr("Restore script written: {path}", path=script.path),
        tr(
            "  It reinstalls {pip} pip and {conda} conda package(s) that a stop erases, in "
            "place. After a stop, run in a terminal:",
            pip=script.pip,
            conda=script.conda,
        ),
        f"    {script.command}",
    ]
    if script.not_restorable:
        lines.append(tr("  Not restorable by the script (save an image to keep them):"))
        lines += [
            f"    - {item.manager} {item.name} {item.version}: {item.reason}"
            for item in script.not_restorable
        ]
    lines.append(
        tr("  Written again after each save: yes")
        if script.after_each_save
        else tr("  Written again after each save: no (--after-each-save on)")
    )
    return "\n".join(lines)


async def restore_script_for(args: argparse.Namespace, service: SaveService) -> RestoreScript:
    """What ``restore-script`` asks (the CLI's and the magic's): write it, and with
    --after-each-save, turn writing it after each save on or off."""
    body = {} if args.after_each_save is None else {"after_each_save": args.after_each_save == "on"}
    return await service.write_restore_script(body)


async def _restore_script(args: argparse.Namespace, service: SaveService, out: Output) -> int:
    script = await restore_script_for(args, service)
    out.result(script.to_dict(), describe_restore_script(script))
    return EXIT_OK


async def _status(args: argparse.Namespace, service: SaveService, out: Output) -> int:
    job = await service.job(args.id)
    if job is None:
        return out.error(
            UnknownJob(_("No save with ID '{id}' is recorded here; 'list' shows them.", id=args.id))
        )
    if not job.finished:
        try:
            job = await service.refresh(job)
        except UpstreamError as error:
            print(
                tr("warning: showing the last known state: {message}", message=error.message),
                file=sys.stderr,
            )
            job = await service.job(args.id) or job  # now with last_error
    out.result(job.to_dict(), describe_job(job))
    return _ended(job)


async def _list(args: argparse.Namespace, service: SaveService, out: Output) -> int:
    page = await service.jobs(args.limit, args.offset)
    text = "\n".join(describe_job(job) for job in page.jobs) or tr(
        "No saves recorded for this instance."
    )
    out.result(page.to_dict(), text)
    return EXIT_OK


async def _doctor(args: argparse.Namespace, service: SaveService, out: Output) -> int:
    settings = service.settings
    info = await service.readiness()
    env = installer.platform_env()
    unknown = tr("unknown")

    def source(value: str | None) -> str:
        return tr(" (from {source})", source=value) if value else ""

    lines = [
        tr("Notebook instance: {value}", value=info.notebook_id or unknown)
        + source(info.notebook_id_source),
        tr("Project:           {value}", value=info.project_id or unknown)
        + source(info.project_id_source),
        tr("Region:            {value}", value=info.region or unknown),
        tr("Endpoint:          {value}", value=info.endpoint or unknown),
        tr("Credentials:       {value}", value=info.credentials or tr("none found")),
        tr("User ID:           {value} (sent as X-ModelArts-User-ID)", value=info.user_id)
        if info.user_id
        else tr("User ID:           none"),
        tr("Jupyter env:       {value}", value=env or tr("not a ModelArts notebook env")),
        tr("Save records:      {value}", value=settings.state_dir),
    ]
    if env == "jp3":
        lines.append(
            tr(
                "This image's Jupyter server runs JupyterLab 3: save with this CLI or with the "
                "notebook magic (%load_ext jupyterlab_modelarts_snapshot); the JupyterLab 4 panel "
                "and button are not available here."
            )
        )
    if info.credentials and info.credentials.startswith("profile:") and env:
        lines.append(
            tr(
                "Warning: {path} is outside the work volume, so a saved image carries it. The "
                "instance's own agency credentials (the modelarts SDK session) need no file.",
                path=info.credentials[8:],
            )
        )
    in_config = settings.credentials_in_config()
    if in_config:
        lines.append(
            tr(
                "Warning: {names} is set in a Jupyter config file or on the command line, and "
                "the Jupyter server logs its configuration, values included, at debug level. Set "
                "credentials in the environment (HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, "
                "HUAWEICLOUD_SDK_SECURITY_TOKEN) or a credentials file instead.",
                names=", ".join(f"c.ModelArtsSnapshot.{name}" for name in in_config),
            )
        )
    transport = await asyncio.to_thread(installer.page_transport)
    lines.append(
        tr("JupyterLab page:   {value}", value=i18n.render(TRANSPORT_WORDS[transport.kind]))
    )
    if transport.error:
        lines.append(tr("The service kernel cannot start: {error}", error=transport.error))
    lines.append(tr("Ready to save an image.") if info.ready else tr("Not ready:"))
    lines += [f"  - {i18n.render(problem)}" for problem in info.problems]
    result = {
        **info.to_dict(),
        "jupyter_env": env,
        "credentials_in_config": in_config,
        "page_transport": transport.kind,
        "service_kernel_error": transport.error,
    }
    out.result(result, "\n".join(lines))
    return EXIT_OK if info.ready else OUTCOMES[NotReady].exit_code


# How the running server's JupyterLab page reaches the service (installer.page_transport).
TRANSPORT_WORDS = {
    "rest": _("reaches the service through the server extension (REST)"),
    "kernel": _(
        "reaches the service through the service kernel; the server extension loads at the "
        "next start"
    ),
    "none": _(
        "cannot reach the service: run jupyter modelarts-snapshot install, then reload the page"
    ),
    "unknown": _("no running Jupyter server of this user was found"),
}


async def _install(args: argparse.Namespace, out: Output) -> int:
    try:
        python = installer.find_server_python(args.server_python)
        requirement = args.source or installer.default_requirement()
        print(
            tr(
                "Jupyter server: {url} on Python {version} ({executable})",
                url=python.url or tr("(given)"),
                version=python.version,
                executable=python.executable,
            )
        )
        print(
            tr(
                "Installing {requirement} into {site} (pip --user) ...",
                requirement=requirement,
                site=python.user_site,
            )
        )
        installed = installer.install(python, requirement)
    except installer.InstallError as error:
        print(tr("error: {message}", message=error.message), file=sys.stderr)
        return OUTCOMES[NotReady].exit_code
    print(tr("Installed: {names}", names=", ".join(installed)))
    print(tr("Enabled the server extension in your Jupyter config (~/.jupyter)."))
    print(tr("Installed the service kernel's kernelspec ({name}).", name=SERVICE_KERNEL))
    print(i18n.render(INSTALL_NEXT_STEPS))
    return EXIT_OK


INSTALL_NEXT_STEPS = _(
    """
What happens next:
  1. Reload the JupyterLab page: the "Save as image" button, the form and the Image snapshots
     panel work at once. Until the Jupyter server starts again, they reach the service through
     a kernel named "ModelArts snapshot service" (the Running panel lists it; it is never offered
     for a notebook). Saves can also be made from here:
       jupyter modelarts-snapshot save --name NAME --namespace ORGANIZATION
     or from a notebook: %load_ext jupyterlab_modelarts_snapshot, then %modelarts_snapshot save ...
  2. The server extension loads when the Jupyter server starts, and the page then uses it.
  3. To keep the extension, save an image now: an instance started from it has the extension
     from boot. A stop resets ~/.local and ~/.jupyter, so without a saved image the extension is
     gone after a stop, and this command has to be run again."""
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jupyter modelarts-snapshot",
        description=tr("Save this ModelArts notebook instance as an image, and follow the save."),
        epilog=tr(
            "Any --ModelArtsSnapshot.<setting>=<value> is applied like in a Jupyter config file. "
            "Exit codes: 0 ok, 1 save failed, 2 invalid input, 3 not ready, 4 another save "
            "unfinished, 5 ModelArts refused, 6 ModelArts did not answer, 7 no such save, 8 a "
            "pre-flight check refuses the save, 9 no room for the save's records, 10 ModelArts "
            "refused to change the lease or to stop, 11 the library refused a delete."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True)
    save = commands.add_parser("save", help=tr("save this instance as an image"))
    save.add_argument("--name", required=True, help=tr("image name, e.g. pytorch-env"))
    save.add_argument("--namespace", required=True, help=tr("SWR organization to save into"))
    save.add_argument("--tag", help=tr("image tag (default: the current UTC date and time)"))
    save.add_argument("--description", help=tr("what this image is for"))
    save.add_argument(
        "--workspace-id", dest="workspace_id", help=tr("ModelArts workspace (default 0)")
    )
    save.add_argument("--wait", action="store_true", help=tr("follow the save until it ends"))
    save.add_argument(
        "--force",
        action="store_true",
        help=tr("save although the pre-flight size check refuses it"),
    )
    save.add_argument(
        "--now",
        action="store_true",
        help=tr(
            "save without waiting for the pre-flight's size check (the instance and the tag are "
            "still checked); an image over the size limit then fails only after the pause"
        ),
    )
    save.add_argument(
        "--stop",
        action="store_true",
        help=tr(
            "stop the instance once the image is saved (implies --wait; never after a failure)"
        ),
    )
    lease = commands.add_parser("lease", help=tr("when the auto-stop comes; --extend moves it"))
    lease.add_argument(
        "--extend",
        type=int,
        metavar="HOURS",
        help=tr("stop the instance HOURS from now instead (1 to 72)"),
    )
    restore = commands.add_parser(
        "restore-script",
        help=tr(
            "write a script to the work volume that reinstalls the pip and conda packages a "
            "stop erases"
        ),
    )
    restore.add_argument(
        "--after-each-save",
        choices=("on", "off"),
        help=tr("also write it again after each save (on), or stop doing so (off)"),
    )
    # "check" and "clean" are the names of 0.1, kept for one release (CHANGELOG).
    check = commands.add_parser(
        "preflight",
        aliases=["check"],
        help=tr("the pre-flight report: what a save would add, and what could fail it"),
    )
    check.add_argument("--name", help=tr("image name, to check the tag"))
    check.add_argument("--namespace", help=tr("SWR organization, to check the tag"))
    check.add_argument("--tag", help=tr("image tag to check"))
    manifest = commands.add_parser(
        "manifest", help=tr("what an image holds: its manifest, changes and rebuild files")
    )
    manifest.add_argument(
        "id", nargs="?", help=tr("a save's image ID (default: this instance now)")
    )
    manifest.add_argument(
        "--changes",
        action="store_true",
        help=tr("what was added, removed and changed since the parent"),
    )
    manifest.add_argument(
        "--format",
        choices=["text", "json", *REBUILD_FORMATS],
        default="text",
        help=tr(
            "text, json, or a rebuild file: dockerfile, requirements (pip), conda (environment.yml)"
        ),
    )
    clean = commands.add_parser(
        "cleanup", aliases=["clean"], help=tr("empty the caches the pre-flight report lists")
    )
    clean.add_argument("--yes", action="store_true", help=tr("do not ask for a confirmation"))
    status = commands.add_parser("status", help=tr("show one save"))
    status.add_argument("id", help=tr("image ID printed by 'save' or 'list'"))
    listing = commands.add_parser("list", help=tr("list this instance's saves, newest first"))
    listing.add_argument("--limit", type=int, default=20, help=tr("how many (default 20)"))
    listing.add_argument("--offset", type=int, default=0, help=tr("how many newest to skip"))
    commands.add_parser("doctor", help=tr("say what the extension knows and what is missing"))
    install = commands.add_parser(
        "install",
        help=tr("make the extension available to this notebook's Jupyter server (user site only)"),
    )
    install.add_argument(
        "--from",
        dest="source",
        help=tr("a wheel, directory or requirement to install instead of this version from PyPI"),
    )
    install.add_argument(
        "--server-python", help=tr("the Python the Jupyter server runs on (default: found from it)")
    )
    library = commands.add_parser(
        "library",
        help=tr("list the saved images of the organizations this instance saved to, by name"),
    )
    library.add_argument("--namespace", help=tr("list this organization instead"))
    library.add_argument("--limit", type=int, default=20, help=tr("how many names (default 20)"))
    library.add_argument("--offset", type=int, default=0, help=tr("how many names to skip"))
    library.add_argument(
        "--per-group",
        type=int,
        default=10,
        help=tr("how many of each name's newest images (default 10)"),
    )
    library.add_argument(
        "--refresh", action="store_true", help=tr("ask ModelArts again now (not the cached list)")
    )
    delete = commands.add_parser("delete-image", help=tr("delete one saved image"))
    delete.add_argument("id", help=tr("image ID printed by 'library'"))
    delete.add_argument("--namespace", required=True, help=tr("the organization it is in"))
    prune = commands.add_parser(
        "prune",
        help=tr(
            "keep the newest images of a name and delete the older ones (a dry run unless --yes)"
        ),
    )
    prune.add_argument("--name", required=True, help=tr("image name"))
    prune.add_argument("--namespace", required=True, help=tr("the organization it is in"))
    prune.add_argument("--keep", type=int, required=True, help=tr("how many of the newest to keep"))
    for destructive in (delete, prune):
        destructive.add_argument(
            "--with-swr-content",
            action="store_true",
            help=tr("also delete the SWR image and its storage (default: the ModelArts "
                    "registration only)"),
        )  # fmt: skip
        destructive.add_argument(
            "--yes", action="store_true", help=tr("delete without asking (prune: not a dry run)")
        )
    emulator.build_parser(
        commands.add_parser("emulator", help=tr("run the local ModelArts emulator"))
    )
    for sub in (
        save,
        status,
        commands.choices["list"],
        commands.choices["doctor"],
        check,
        lease,
        restore,
        library,
        delete,
        prune,
    ):
        sub.add_argument("--json", action="store_true", help=tr("print JSON for scripts"))
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Output in the language of LANGUAGE/LC_ALL/LC_MESSAGES/LANG; asyncio.run keeps it.
    i18n.current.set(i18n.from_environment())
    config_args = [arg for arg in argv if arg.startswith("--ModelArtsSnapshot.")]
    args = build_parser().parse_args([arg for arg in argv if arg not in config_args])
    if args.command == "emulator":
        return emulator.run(args)
    out = Output(getattr(args, "json", False))
    if args.command == "install":
        return asyncio.run(_install(args, out))
    settings = load_settings(config_args)
    command = COMMANDS[ALIASES.get(args.command, args.command)]
    return asyncio.run(_run(command, args, settings, out))


async def _run(
    command: Command, args: argparse.Namespace, settings: ModelArtsSnapshot, out: Output
) -> int:
    try:
        async with build_service(settings) as service:
            return await command(args, service, out)
    except SnapshotError as error:
        return out.error(error)


def describe_image(image: SavedImage) -> str:
    marks = [
        word
        for flag, word in (
            (image.runs_now, tr("runs now")),
            (image.starts_next, tr("starts next")),
            (image.from_this_instance, tr("from this instance")),
        )
        if flag
    ]
    return tr(
        "  {tag:<24} {status:<14} {size:>9}  {created}  {id}{marks}",
        tag=image.tag, status=image.status, size=_human_size(image.size_kb),
        created=_local_time(image.created_at) if image.created_at else "-", id=image.id,
        marks=f"  [{', '.join(marks)}]" if marks else "",
    )  # fmt: skip


def describe_library(library: Library) -> str:
    if not library.namespaces:
        return tr("This instance has not saved to any organization yet: name one with --namespace.")
    lines = [
        tr(
            "{images} saved image(s) of {groups} name(s) in {namespaces}, listed by ModelArts at "
            "{at}:",
            images=library.total_images, groups=library.total_groups,
            namespaces=", ".join(library.namespaces), at=_local_time(library.fetched_at),
        )
    ]  # fmt: skip
    for group in library.groups:
        lines.append(f"{group.namespace}/{group.name}")
        lines.extend(describe_image(image) for image in group.images)
        if group.total > len(group.images):
            lines.append(
                tr("  ... and {count} older (--per-group)", count=group.total - len(group.images))
            )
    return "\n".join(lines)


async def library_for(args: argparse.Namespace, service: SaveService) -> Library:
    """What ``library`` asks (the CLI's and the magic's)."""
    return await service.image_library(
        args.namespace, args.limit, args.offset, args.refresh, args.per_group
    )


async def _library(args: argparse.Namespace, service: SaveService, out: Output) -> int:
    library = await library_for(args, service)
    out.result(library.to_dict(), describe_library(library))
    return EXIT_OK


def what_goes(label: str, with_swr_content: bool) -> str:
    return (
        tr(
            "{label}: the ModelArts registration and the SWR image with its storage.",
            label=label,
        )
        if with_swr_content
        else tr(
            "{label}: the ModelArts registration only; the SWR image stays and keeps using the "
            "organization's storage (--with-swr-content deletes it too).",
            label=label,
        )
    )


def describe_deleted(deleted: DeletedImage) -> str:
    label = f"{deleted.name}:{deleted.tag}"
    if deleted.swr_error:
        return str(i18n.render(deleted.swr_error))
    if deleted.swr_content == "kept":
        return tr("Deleted {label} from ModelArts; its SWR image stays.", label=label)
    return tr("Deleted {label} from ModelArts and SWR.", label=label)


async def what_would_go(args: argparse.Namespace, service: SaveService) -> str:
    """``delete-image``'s confirmation: the image by name, from the library's (cached) list."""
    library = await service.image_library(args.namespace, LIBRARY_LIMIT_MAX, 0, per_group=KEEP_MAX)
    listed = (image for group in library.groups for image in group.images)
    wanted = args.id.lower()
    label = next((image.label for image in listed if image.id == wanted), args.id)
    return tr("This deletes {what}", what=what_goes(label, args.with_swr_content))


def delete_body(args: argparse.Namespace) -> dict[str, Any]:
    return {"id": args.id, "namespace": args.namespace, "with_swr_content": args.with_swr_content}


async def _delete_image(args: argparse.Namespace, service: SaveService, out: Output) -> int:
    body = delete_body(args)
    if not args.yes:
        print(await what_would_go(args, service), file=sys.stderr)
        if not await confirmed(tr("Delete it? [y/N] (--yes skips this) ")):
            print(tr("Nothing was deleted."), file=sys.stderr)
            return EXIT_OK
    deleted = await service.delete_image(body)
    out.result(deleted.to_dict(), describe_deleted(deleted))
    return EXIT_OK


def describe_prune(result: PruneResult) -> str:
    lines = [
        tr(
            "{name} in {namespace}: keeping the newest {keep}.",
            name=result.name, namespace=result.namespace, keep=result.keep,
        )
    ]  # fmt: skip
    for image in result.refused:
        lines.append(tr("  kept, {message}", message=i18n.render(image.message)))
    if result.deleted or result.failed:
        lines.extend(describe_deleted(deleted) for deleted in result.deleted)
        lines.extend(
            tr("Not deleted: {label}: {message}", label=image.image.label,
               message=i18n.render(image.message))
            for image in result.failed
        )  # fmt: skip
        return "\n".join(lines)
    if not result.delete:
        lines.append(tr("Nothing to delete."))
        return "\n".join(lines)
    lines.append(tr("These would be deleted:"))
    lines.extend("  " + what_goes(image.label, result.with_swr_content) for image in result.delete)
    if result.dry_run:
        lines.append(tr("Nothing was deleted: run again with --yes to delete them."))
    return "\n".join(lines)


async def prune_for(args: argparse.Namespace, service: SaveService) -> PruneResult:
    """A dry run; with --yes, then the deletion of exactly what it listed (CLI and magic)."""
    body: dict[str, Any] = {
        "name": args.name, "namespace": args.namespace, "keep": args.keep,
        "with_swr_content": args.with_swr_content,
    }  # fmt: skip
    plan = await service.prune_images(body)
    if args.yes and plan.delete:
        ids = [image.id for image in plan.delete]
        plan = await service.prune_images({**body, "dry_run": False, "ids": ids})
    return plan


async def _prune(args: argparse.Namespace, service: SaveService, out: Output) -> int:
    plan = await prune_for(args, service)
    out.result(plan.to_dict(), describe_prune(plan))
    return EXIT_OK


Command = Callable[[argparse.Namespace, SaveService, Output], Awaitable[int]]
COMMANDS: dict[str, Command] = {
    "save": _save, "status": _status, "list": _list, "doctor": _doctor,
    "preflight": _preflight, "cleanup": _cleanup, "manifest": _manifest, "lease": _lease,
    "restore-script": _restore_script, "library": _library, "delete-image": _delete_image,
    "prune": _prune,
}  # fmt: skip
ALIASES = {"check": "preflight", "clean": "cleanup"}


if __name__ == "__main__":
    sys.exit(main())
