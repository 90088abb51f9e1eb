"""What a save would add to the image: the files of the container's own filesystem changed since
it started, found by GNU ``find`` and summed by directory, with the caches and the credential
files among them.

A saved image is the instance's image plus the container's changes; mounts (the work volume,
``/proc``, bind-mounted files) are never part of it, so the walk stays on the root's device and
prunes every mount point. ``find`` walks the tree (it is what the benchmark compares against);
this module only reads its output, so the walk costs about what ``find`` alone costs.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .i18n import _
from .models import CheckItem

# Find's output is read in blocks of this size; one record per changed file.
READ_BLOCK = 1 << 20
# Small text files in home directories are read for an access key pair; bounded so that a
# home full of small files cannot slow the scan down.
SNIFF_MAX_BYTES = 64 * 1024
SNIFF_MAX_FILES = 5000
# Directories whose files are packages or caches, never hand-written configuration.
NOT_SNIFFED = re.compile(
    r"/(?:site-packages|dist-packages|node_modules|\.cache|\.npm|\.conda|anaconda3|miniconda3|"
    r"miniforge3|\.git|\.local/lib|\.vscode-server)/"
)
HOME = re.compile(r"(?:^|/)(?:home/[^/]+|root)/")

# A Huawei Cloud access key is 20 upper-case letters and digits; its secret key 40 characters.
ACCESS_KEY = re.compile(
    rb"(?<![A-Za-z0-9])(?=[A-Z0-9]*[0-9])(?=[A-Z0-9]*[A-Z])[A-Z0-9]{20}(?![A-Za-z0-9])"
)
SECRET_KEY = re.compile(
    rb"(?<![A-Za-z0-9])(?=[A-Za-z0-9]*[0-9])(?=[A-Za-z0-9]*[a-z])(?=[A-Za-z0-9]*[A-Z])"
    rb"[A-Za-z0-9]{40}(?![A-Za-z0-9])"
)

# Known caches, as paths relative to the scanned root ("~" is any home directory).
CACHES: list[tuple[str, re.Pattern[str]]] = [
    ("pip", re.compile(r"(?:home/[^/]+|root)/\.cache/pip")),
    ("huggingface", re.compile(r"(?:home/[^/]+|root)/\.cache/huggingface")),
    ("torch-hub", re.compile(r"(?:home/[^/]+|root)/\.cache/torch")),
    ("npm", re.compile(r"(?:home/[^/]+|root)/\.npm")),
    ("conda-pkgs", re.compile(r"(?:.*/)?(?:anaconda3|miniconda3|miniforge3|conda|\.conda)/pkgs")),
    ("apt-lists", re.compile(r"var/lib/apt/lists")),
    ("apt-archives", re.compile(r"var/cache/apt/archives")),
    ("tmp", re.compile(r"tmp")),
]
# Where the environment moves a cache, in the container's own paths.
CACHE_VARIABLES = {
    "PIP_CACHE_DIR": "pip",
    "HF_HOME": "huggingface",
    "TORCH_HOME": "torch-hub",
    "CONDA_PKGS_DIRS": "conda-pkgs",
    "npm_config_cache": "npm",
}

SECRET_NAMES = {
    ".netrc": "netrc",
    ".git-credentials": "git-credentials",
    ".obsutilconfig": "obsutil-config",
    ".pypirc": "pypirc",
    ".env": "env-file",
    ".bash_history": "shell-history",
    ".zsh_history": "shell-history",
    ".sh_history": "shell-history",
    ".ash_history": "shell-history",
    ".python_history": "shell-history",
}
# Folders whose files can be credentials whatever their names; names that may hold a key.
SECRET_FOLDERS = {".huaweicloud", ".aws", ".docker", ".kube", ".ssh"}
MAYBE_KEYS = (b".pem", b".key", b"history.sqlite")
# Package tools' own configuration: a secret only when it holds a credential (a URL with a user
# and password or a /t/<token>/ channel, or npm's auth settings).
TOOL_CONFIGS = {
    "pip.conf": "pip-config",
    "pip.ini": "pip-config",
    ".condarc": "conda-config",
    ".npmrc": "npm-config",
}
CONFIG_CREDENTIALS = re.compile(
    rb"://[^/\s@]+@|/t/[^/\s]+/|_authToken\s*=|_auth\s*=|_password\s*=|^\s*token\s*:",
    re.MULTILINE,
)
CONFIGS = frozenset(name.encode() for name in TOOL_CONFIGS)
SECRET_IN_DIR = {
    (".huaweicloud", "credentials"): "huaweicloud-credentials",
    (".aws", "credentials"): "aws-credentials",
    (".docker", "config.json"): "docker-config",
    (".kube", "config"): "kube-config",
}


def mount_points(mountinfo: str) -> list[str]:
    """Every mount point listed in ``/proc/self/mountinfo`` text, with its escapes undone."""
    points = []
    for line in mountinfo.splitlines():
        parts = line.split()
        if len(parts) > 4:
            points.append(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), parts[4]))
    return points


def under(path: str, root: str) -> bool:
    """``path`` is ``root`` or lies inside it."""
    return path == root or path.startswith(root.rstrip("/") + "/")


def _glob_escape(path: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", path)


@dataclass
class ScanResult:
    """What one walk saw; ``partial`` when it stopped at the time limit."""

    root: str
    since: float
    files: int = 0
    bytes: int = 0
    # Changed bytes and files directly in each directory that has any.
    own: dict[str, list[int]] = field(default_factory=dict)
    secrets: list[CheckItem] = field(default_factory=list)
    sniff: list[str] = field(default_factory=list)
    partial: bool = False
    error: str | None = None

    def subtree_totals(self) -> dict[str, list[int]]:
        """Changed bytes and files under each directory, its own and its descendants'."""
        totals: dict[str, list[int]] = {}
        root = self.root.rstrip("/") or "/"
        for directory, (size, count) in self.own.items():
            path = directory
            while True:
                entry = totals.setdefault(path, [0, 0])
                entry[0] += size
                entry[1] += count
                if path == root or len(path) <= len(root):
                    break
                path = os.path.dirname(path)
        return totals

    def largest(self, count: int = 10) -> list[CheckItem]:
        """The directories that explain most of the added bytes, each byte named once: a
        directory most of whose bytes sit in one subdirectory gives way to it."""
        totals = self.subtree_totals()
        dominated = set()
        for path, (size, _count) in totals.items():
            parent = os.path.dirname(path)
            if parent != path and parent in totals and size >= 0.8 * totals[parent][0]:
                dominated.add(parent)
        root = self.root.rstrip("/") or "/"
        kept = [
            (size, files, path)
            for path, (size, files) in totals.items()
            if path not in dominated and path != root
        ]
        kept.sort(reverse=True)
        chosen: list[CheckItem] = []
        for size, files, path in kept:
            # Each byte is named once: nothing inside a directory already listed.
            if not any(under(path, item.path or "") for item in chosen):
                chosen.append(CheckItem(kind="directory", path=path, bytes=size, files=files))
                if len(chosen) == count:
                    break
        return chosen

    def caches(self, environ: Mapping[str, str] = os.environ) -> list[CheckItem]:
        """The known caches among the changed directories, with what the image would carry."""
        totals = self.subtree_totals()
        root = self.root.rstrip("/")
        moved = {}
        for variable, moved_kind in CACHE_VARIABLES.items():
            for value in (environ.get(variable) or "").split(os.pathsep):
                if value.startswith("/"):
                    moved[root + value.rstrip("/")] = moved_kind
        found: list[CheckItem] = []
        for path in sorted(totals):
            if any(under(path, item.path or "") for item in found):
                continue  # inside a cache already listed
            relative = path[len(root) :].lstrip("/")
            kind: str | None = moved.get(path) or next(
                (name for name, pattern in CACHES if pattern.fullmatch(relative)), None
            )
            if kind:
                size, files = totals[path]
                found.append(CheckItem(kind=kind, path=path, bytes=size, files=files))
        found.sort(key=lambda item: -(item.bytes or 0))
        return found


def secret_kind(path: str) -> str | None:
    """The kind of credential file ``path`` is by its name, or None."""
    parent, _sep, name = path.rpartition("/")
    folder = parent.rpartition("/")[2]
    if name in SECRET_NAMES:
        return SECRET_NAMES[name]
    if name.startswith(".env."):
        return "env-file"
    if (folder, name) in SECRET_IN_DIR:
        return SECRET_IN_DIR[(folder, name)]
    if folder == ".ssh" and name.startswith("id_") and not name.endswith(".pub"):
        return "private-key"
    if name == "history.sqlite" and "/.ipython/" in path:
        return "ipython-history"
    return None


def read_head(path: str, size: int) -> bytes | None:
    """The first ``size`` bytes of a regular file, or None. It never blocks and never follows
    a link: a FIFO opened for reading would wait for a writer forever."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        return os.read(descriptor, size)
    except OSError:
        return None
    finally:
        os.close(descriptor)


def _holds_private_key(path: str) -> bool:
    # A .pem can be a public certificate bundle (certifi ships one): only a key is a secret.
    data = read_head(path, 8192)
    return data is not None and b"PRIVATE KEY" in data


def _holds_key_pair(path: str) -> bool:
    data = read_head(path, SNIFF_MAX_BYTES)
    if data is None or b"\0" in data:
        return False  # not a regular file, or binary
    return bool(ACCESS_KEY.search(data) and SECRET_KEY.search(data))


def _config_holds_credentials(path: str) -> bool:
    data = read_head(path, SNIFF_MAX_BYTES)
    return data is not None and bool(CONFIG_CREDENTIALS.search(data))


class Scan:
    """One walk of ``root`` with ``find``, stoppable, readable while it runs (from a thread)."""

    def __init__(
        self,
        root: str,
        since: float,
        prune: Iterable[str],
        timeout: float,
        find: str | None = None,
    ) -> None:
        self.result = ScanResult(root=os.path.abspath(root), since=since)
        self.prune = sorted({os.path.abspath(path) for path in prune})
        self.timeout = timeout
        self.find = find or shutil.which("find") or "find"
        self._stop = threading.Event()

    def command(self) -> list[str]:
        root = self.result.root
        pruned: list[str] = []
        for path in self.prune:
            if path != root and under(path, root):
                pruned += ["-path", _glob_escape(path), "-o"]
        # find's "-newer" is "later than": one microsecond earlier makes it "at or after".
        since = f"@{self.result.since - 1e-6:.6f}"
        command = [self.find, root, "-xdev"]
        if pruned:
            command += ["(", *pruned[:-1], ")", "-prune", "-o"]
        return [
            *command, "!", "-type", "d", "(", "-newerct", since, "-o", "-newermt", since, ")",
            "-printf", "%y %b %p\\0",
        ]  # fmt: skip

    def stop(self) -> None:
        """End the walk early (the server is stopping); what was seen so far is kept."""
        self._stop.set()
        if self._process is not None and self._process.poll() is None:
            self._process.kill()

    def run(self, on_progress: Callable[[], None] | None = None) -> ScanResult:
        result = self.result
        deadline = time.monotonic() + self.timeout
        if not os.path.isdir(result.root):
            result.error = _(
                "The scan root {root} is not a directory (scan_root setting).", root=result.root
            )
            return result
        try:
            self._process = subprocess.Popen(
                self.command(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
        except OSError as error:
            result.error = _(
                "The file system could not be walked: {reason}.", reason=error.strerror
            )
            return result
        # At the time limit the walk ends with what it saw, and says it is partial.
        timer = threading.Timer(self.timeout, self.stop)
        timer.start()
        try:
            self._read(self._process, on_progress)
        finally:
            timer.cancel()
            self._process.wait()
        result.partial = self._stop.is_set()
        if not result.partial:
            self._sniff(deadline)
        return result

    _process: subprocess.Popen[bytes] | None = None

    def _read(
        self, process: subprocess.Popen[bytes], on_progress: Callable[[], None] | None
    ) -> None:
        assert process.stdout is not None
        result = self.result
        own = result.own
        rest = b""
        # Per directory, decided once: its totals, whether its files may be credentials by
        # their folder, and whether small files in it are read for a key pair.
        current_dir: bytes | None = None
        current: list[int] = [0, 0]
        special = sniffable = False
        total = 0
        while True:
            block = process.stdout.read1(READ_BLOCK)  # type: ignore[attr-defined]
            if not block:
                break
            records = (rest + block).split(b"\0")
            rest = records.pop()
            for record in records:
                # "f 8 /home/ma-user/.netrc": the type, the 512-byte blocks, the path.
                regular = record[:2] == b"f "
                blocks, _sep, raw = record[2:].partition(b" ")
                directory, _sep, name = raw.rpartition(b"/")
                if directory != current_dir:
                    current_dir = directory
                    text = os.fsdecode(directory) or "/"
                    current = own.setdefault(text, [0, 0])
                    special = text.rpartition("/")[2] in SECRET_FOLDERS or "/.ipython/" in text
                    sniffable = bool(HOME.search(text + "/")) and not NOT_SNIFFED.search(text + "/")
                size = int(blocks) * 512
                total += size
                current[0] += size
                current[1] += 1
                if not regular:
                    continue  # links, sockets, FIFOs, devices: nothing to read
                if name[:1] == b"." or special or name.endswith(MAYBE_KEYS) or name in CONFIGS:
                    path = os.fsdecode(raw)
                    kind = secret_kind(path)
                    if kind is None and name.endswith(MAYBE_KEYS) and _holds_private_key(path):
                        kind = "private-key"
                    if kind is None and name in CONFIGS and _config_holds_credentials(path):
                        kind = TOOL_CONFIGS[os.fsdecode(name)]
                    if kind:
                        result.secrets.append(CheckItem(kind=kind, path=path))
                        continue
                if sniffable and size <= SNIFF_MAX_BYTES and len(result.sniff) < SNIFF_MAX_FILES:
                    result.sniff.append(os.fsdecode(raw))
            result.files += len(records)
            result.bytes = total
            if on_progress:
                on_progress()

    def _sniff(self, deadline: float) -> None:
        """Look into small home files for something shaped like an access key pair."""
        result = self.result
        for path in result.sniff:
            if time.monotonic() >= deadline or self._stop.is_set():
                result.partial = True
                break
            if _holds_key_pair(path):
                result.secrets.append(CheckItem(kind="access-key-pair", path=path))
        result.sniff = []
