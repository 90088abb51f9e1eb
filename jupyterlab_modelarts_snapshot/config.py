"""The ``ModelArtsSnapshot`` configurable: where ModelArts is and which instance this is.

Every trait can be set as ``c.ModelArtsSnapshot.<trait>`` in a Jupyter config file or
``--ModelArtsSnapshot.<trait>=`` on the command line; where an environment variable fits, it
is the fallback, and config wins.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import Any

from jupyter_core.application import JupyterApp
from jupyter_core.paths import jupyter_data_dir
from traitlets import Enum, Float, Integer, List, Unicode, default
from traitlets.config import Configurable

# ModelArts endpoints by region (Huawei Cloud's public endpoint table).
_REGIONS_ON_COM = [
    "cn-north-1",
    "cn-north-2",
    "cn-north-4",
    "cn-north-9",
    "cn-north-11",
    "cn-north-12",
    "cn-south-1",
    "cn-east-3",
    "cn-east-4",
    "cn-southwest-2",
    "cn-southwest-3",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "la-south-2",
    "la-north-2",
    "af-south-1",
    "af-north-1",
    "tr-west-1",
    "me-east-1",
    "sa-brazil-1",
]
REGION_ENDPOINTS = {
    region: f"https://modelarts.{region}.myhuaweicloud.com" for region in _REGIONS_ON_COM
}
REGION_ENDPOINTS["ap-southeast-1"] = "https://modelarts.ap-southeast-1.myhuaweicloud.cn"

METADATA_SERVICE = "http://169.254.169.254"
WORK_VOLUME = Path("/home/ma-user/work")
# Where a ModelArts notebook keeps its preinstalled modelarts SDK (current and older images),
# often not on the Jupyter server's sys.path.
MODELARTS_SDK_PATHS = [
    "/modelarts/tools/sdk",
    "/modelarts/authoring/notebook-conda/envs/jp3/lib/python3.9/site-packages",
    "/opt/huawei/modelarts-dev/modelarts-sdk",
]
# Pythons that may import that SDK when the server's own cannot.
MODELARTS_SDK_PYTHONS = [
    "/modelarts/authoring/notebook-conda/envs/jp3/bin/python",
    "/home/ma-user/anaconda3/bin/python",
]
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_UUID_IN_TEXT = re.compile(_UUID, re.I)
# ModelArts names the container's host after the instance: notebook-<instance id>.
_NOTEBOOK_HOSTNAME = re.compile(rf"notebook-({_UUID})", re.I)


# Settings that hold a secret: prefer the environment or the credential chain to these.
CREDENTIAL_TRAITS = ("access_key", "secret_key", "security_token")


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


class ModelArtsSnapshot(Configurable):
    """Settings shared by the server extension and the CLI."""

    region = Unicode(
        help="Huawei Cloud region, e.g. cn-north-4. Falls back to MODELARTS_REGION, "
        "then HUAWEICLOUD_SDK_REGION."
    ).tag(config=True)
    endpoint = Unicode(
        help="ModelArts API endpoint. Falls back to MODELARTS_ENDPOINT, then "
        "HUAWEICLOUD_SDK_REGION_MODELARTS_<REGION>, then the region's public endpoint."
    ).tag(config=True)
    iam_endpoint = Unicode(
        help="IAM endpoint. Falls back to HUAWEICLOUD_SDK_IAM_ENDPOINT, then the region's."
    ).tag(config=True)
    project_id = Unicode(
        help="Huawei Cloud project ID. Falls back to HUAWEICLOUD_SDK_PROJECT_ID, then PROJECT_ID "
        "(set by ModelArts in a notebook), then the project of the credentials (profile file or "
        "the modelarts SDK session)."
    ).tag(config=True)
    notebook_id = Unicode(
        help="ID of this notebook instance. Falls back to MODELARTS_NOTEBOOK_ID, then INSTANCE_ID "
        "(set by ModelArts in a notebook), then the UUID in the server's base URL, then the "
        "hostname (notebook-<instance id> on ModelArts)."
    ).tag(config=True)
    hostname = Unicode(
        help="The host name the instance ID is detected from (default: this machine's)."
    ).tag(config=True)
    modelarts_sdk_paths = List(
        Unicode(),
        default_value=MODELARTS_SDK_PATHS,
        help="Where to look for the preinstalled modelarts SDK when the server cannot import it. "
        "It is only read, never written.",
    ).tag(config=True)
    workspace_id = Unicode("0", help="ModelArts workspace for saved images.").tag(config=True)
    poll_interval = Float(
        10.0, min=0.2, help="Seconds between two status polls of an unfinished save."
    ).tag(config=True)
    request_timeout = Float(30.0, min=0.5, help="Seconds to wait for one ModelArts answer.").tag(
        config=True
    )
    state_dir = Unicode(
        help="Where save records are kept. Defaults to a folder on the persistent work volume "
        "when there is one, else under the Jupyter data directory."
    ).tag(config=True)
    access_key = Unicode(help="Access key (AK). Prefer environment variables.").tag(config=True)
    secret_key = Unicode(help="Secret key (SK). Prefer environment variables.").tag(config=True)
    security_token = Unicode(help="Security token for temporary AK/SK.").tag(config=True)
    scan_root = Unicode(
        "/", help="The container's root file system, walked to estimate what a save adds."
    ).tag(config=True)
    work_dir = Unicode(
        str(WORK_VOLUME),
        help="The persistent work volume: never part of an image, never touched by a cleanup.",
    ).tag(config=True)
    changes_since = Float(
        help="Epoch seconds from which changed files count as added to the image (default: "
        "when the container's process 1 started)."
    ).tag(config=True)
    image_size_limit_gb = Float(
        35.0, min=0.001, help="Largest image ModelArts saves, in GiB; the pre-flight warns at 80%."
    ).tag(config=True)
    scan_timeout = Float(
        120.0, min=0.1, help="Seconds a pre-flight walk may take before it reports what it saw."
    ).tag(config=True)
    proc_dir = Unicode(
        "/proc",
        help="Where the pre-flight reads the container's processes, for the processes check.",
    ).tag(config=True)
    manifest_dir = Unicode(
        help="Where each save writes its manifest and lineage inside the container, outside the "
        "work volume, so that the image holds them (default ~/.modelarts-snapshot, that is "
        "/home/ma-user/.modelarts-snapshot on ModelArts).",
    ).tag(config=True)
    python_envs = List(
        Unicode(),
        help="Pythons whose packages the manifest lists, besides the server's and the kernels'.",
    ).tag(config=True)
    conda_roots = List(
        Unicode(),
        default_value=["/home/ma-user/anaconda3", "/opt/conda"],
        help="conda installations whose envs the manifest lists.",
    ).tag(config=True)
    dpkg_status = Unicode(
        "/var/lib/dpkg/status", help="dpkg's status file, for the apt packages."
    ).tag(config=True)
    os_release = Unicode("/etc/os-release", help="The OS release file.").tag(config=True)
    cuda_home = Unicode("/usr/local/cuda", help="Where CUDA is, when it is.").tag(config=True)
    lineage_warn_depth = Integer(
        10, min=1, help="Saves in an image's lineage from which the pre-flight warns about layers."
    ).tag(config=True)
    report_reuse_seconds = Float(
        60.0,
        min=0,
        help="Seconds a finished pre-flight report is shared before a new request walks again.",
    ).tag(config=True)
    warn_before_stop_minutes = Integer(
        15,
        min=0,
        max=72 * 60,
        help="Minutes before the auto-stop at which each open page warns, with what the stop "
        "would erase; 0 turns the warning off.",
    ).tag(config=True)
    lease_refresh_seconds = Float(
        300.0,
        min=5.0,
        help="Seconds between reads of the auto-stop lease from ModelArts (ShowLease); the pages "
        "count down from the last read, and every extension or save reads it again.",
    ).tag(config=True)
    lease_stop_basis = Enum(
        ["update_at", "create_at"],
        "update_at",
        help="Which lease time the auto-stop counts from: update_at (a renewal counts from now, "
        "as RenewLease says) or create_at (as the API reference words it). When the two differ, "
        "the stop time is shown as an estimate.",
    ).tag(config=True)
    swr_endpoint = Unicode(
        help="SWR API endpoint, for the SWR content of saved images. Falls back to SWR_ENDPOINT, "
        "then HUAWEICLOUD_SDK_REGION_SWR_<REGION>, then https://swr-api.<region>.myhuaweicloud.com."
    ).tag(config=True)
    delete_force_form = Enum(
        ["query", "body"],
        "query",
        help="How a delete that takes the SWR content asks ModelArts to force it: the query "
        "force=true (the API reference) or the body is_force (the official SDK).",
    ).tag(config=True)
    library_cache_seconds = Float(
        60.0,
        min=0,
        help="Seconds the list of saved images is reused before ListImage is read again.",
    ).tag(config=True)
    metadata_url = Unicode(
        help="Instance metadata service used for temporary credentials. Falls back to "
        "MODELARTS_METADATA_URL, then the platform's; set it to 'off' to skip it."
    ).tag(config=True)

    @default("region")
    def _default_region(self) -> str:
        return _env("MODELARTS_REGION") or _env("HUAWEICLOUD_SDK_REGION")

    @default("endpoint")
    def _default_endpoint(self) -> str:
        return self._regional_endpoint(
            "MODELARTS_ENDPOINT", "MODELARTS", REGION_ENDPOINTS.get(self.region, "")
        )

    def _regional_endpoint(self, variable: str, service: str, public: str) -> str:
        """``variable``, then the SDK's HUAWEICLOUD_SDK_REGION_<SERVICE>_<REGION>, then the
        region's ``public`` endpoint; empty without a region."""
        override = _env(variable)
        if override:
            return override.rstrip("/")
        if self.region:
            region = self.region.upper().replace("-", "_")
            sdk_override = _env(f"HUAWEICLOUD_SDK_REGION_{service}_{region}")
            return (sdk_override or public).rstrip("/")
        return ""

    @default("iam_endpoint")
    def _default_iam_endpoint(self) -> str:
        override = _env("HUAWEICLOUD_SDK_IAM_ENDPOINT")
        if override:
            return override.rstrip("/")
        return f"https://iam.{self.region}.myhuaweicloud.com" if self.region else ""

    @default("swr_endpoint")
    def _default_swr_endpoint(self) -> str:
        return self._regional_endpoint(
            "SWR_ENDPOINT", "SWR", f"https://swr-api.{self.region}.myhuaweicloud.com"
        )

    @default("hostname")
    def _default_hostname(self) -> str:
        return socket.gethostname()

    def resolve_project_id(self) -> tuple[str | None, str | None]:
        """Return (project_id, source) from config, then the environment; None when unknown."""
        for source, value in (
            ("config", self.project_id),
            ("env:HUAWEICLOUD_SDK_PROJECT_ID", _env("HUAWEICLOUD_SDK_PROJECT_ID")),
            ("env:PROJECT_ID", _env("PROJECT_ID")),
        ):
            if value:
                return value, source
        return None, None

    @default("state_dir")
    def _default_state_dir(self) -> str:
        # The work volume survives a stop and is not part of the saved image.
        if WORK_VOLUME.is_dir() and os.access(WORK_VOLUME, os.W_OK):
            return str(WORK_VOLUME / ".modelarts-snapshot")
        return str(Path(jupyter_data_dir()) / "modelarts_snapshot")

    @default("manifest_dir")
    def _default_manifest_dir(self) -> str:
        return os.path.expanduser("~/.modelarts-snapshot")

    @default("changes_since")
    def _default_changes_since(self) -> float:
        try:
            return container_start()
        except (OSError, ValueError, StopIteration, IndexError):
            return 0.0  # no /proc: every file counts, which overestimates and never hides

    @default("metadata_url")
    def _default_metadata_url(self) -> str:
        return _env("MODELARTS_METADATA_URL") or METADATA_SERVICE

    def resolve_notebook_id(self, base_url: str = "") -> tuple[str | None, str | None]:
        """Return (notebook_id, source) from the first source in the chain that yields a UUID."""
        explicit = (
            ("config", self.notebook_id),
            ("env:MODELARTS_NOTEBOOK_ID", _env("MODELARTS_NOTEBOOK_ID")),
            ("env:INSTANCE_ID", _env("INSTANCE_ID")),
        )
        for source, text in explicit:  # a given value must be a whole UUID
            if _UUID_IN_TEXT.fullmatch(text or ""):
                return text.lower(), source
        found = _UUID_IN_TEXT.search(base_url or "")
        if found:
            return found.group(0).lower(), "base_url"
        host = _NOTEBOOK_HOSTNAME.fullmatch(self.hostname or "")
        if host:
            return host.group(1).lower(), "hostname"
        return None, None

    def credentials_in_config(self) -> list[str]:
        """The credential settings given in a config file or on the command line: the Jupyter
        server logs its configuration at DEBUG level, values included."""
        section = self.config.get("ModelArtsSnapshot", {})
        return [name for name in CREDENTIAL_TRAITS if name in section]

    def describe(self) -> dict[str, Any]:
        """The non-secret settings, for logs and the doctor command."""
        return {
            "region": self.region or None,
            "endpoint": self.endpoint or None,
            "iam_endpoint": self.iam_endpoint or None,
            "project_id": self.project_id or None,
            "workspace_id": self.workspace_id,
            "poll_interval": self.poll_interval,
            "request_timeout": self.request_timeout,
            "state_dir": self.state_dir,
            "scan_root": self.scan_root,
            "work_dir": self.work_dir,
            "changes_since": self.changes_since,
            "image_size_limit_gb": self.image_size_limit_gb,
            "scan_timeout": self.scan_timeout,
            "report_reuse_seconds": self.report_reuse_seconds,
        }


def container_start() -> float:
    """When the container's process 1 started (epoch seconds): the moment changes count from."""
    stat = Path("/proc/1/stat").read_text()
    ticks = int(stat.rsplit(")", 1)[1].split()[19])
    boot = next(
        int(line.split()[1])
        for line in Path("/proc/stat").read_text().splitlines()
        if line.startswith("btime ")
    )
    return boot + ticks / os.sysconf("SC_CLK_TCK")


class _ConfigLoader(JupyterApp):
    """Loads ``c.ModelArtsSnapshot`` from the Jupyter server config files and the command line."""

    name = "jupyter-modelarts-snapshot"
    config_file_name = "jupyter_server_config"
    classes = [ModelArtsSnapshot]


def load_settings(config_args: list[str]) -> ModelArtsSnapshot:
    """The settings outside the Jupyter server (the CLI, the magic, the service kernel): from the
    same config files and environment, and ``--ModelArtsSnapshot.*`` arguments."""
    loader = _ConfigLoader()
    loader.initialize(config_args)
    return ModelArtsSnapshot(config=loader.config)
