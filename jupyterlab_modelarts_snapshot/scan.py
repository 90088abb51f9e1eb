"""What a save would add to the image: the files of the container's own filesystem changed since
it started, found by GNU ``find`` and summed by directory, with the caches and the credential
files among them.

A saved image is the instance's image plus the container's changes; mounts (the work volume,
``/proc``, bind-mounted files) are never part of it, so the walk stays on the root's device and
prunes every mount point.

The walk runs in a child process (``python scan.py``), never in the server: reading the output of
``find`` holds the interpreter lock, and the server's event loop must keep answering. The child
lists the first two levels itself, hands the directories below them to ``WORKERS`` ``find``
processes at a time (one core each), reads their output as it comes, sums it per directory and
writes back only progress lines and the small result. So this module imports nothing from the
package: the child starts in milliseconds.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

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


# The first levels are listed here; the directories below them are the finds' start points.
SPLIT_DEPTH = 2
# Finds running at once: one per core, leaving the reading of their output its own share.
WORKERS = max(1, min(4, os.cpu_count() or 1))
# Start points given to one find: small enough that the two finds end close together.
CHUNKS_PER_WORKER = 8
# Bytes of start points on one find's command line, well under the kernel's argument limits.
CHUNK_BYTES = 64 * 1024
# Credential files listed at most: the report names them one by one.
SECRETS_MAX = 1000
# The child says how far it got this often (seconds).
PROGRESS_EVERY = 0.1
TYPE_LETTERS = {
    stat.S_IFREG: "f", stat.S_IFLNK: "l", stat.S_IFSOCK: "s", stat.S_IFIFO: "p",
    stat.S_IFCHR: "c", stat.S_IFBLK: "b",
}  # fmt: skip


@dataclass
class ScanResult:
    """What one walk saw; ``partial`` when it stopped at the time limit or was stopped."""

    root: str
    since: float
    files: int = 0
    bytes: int = 0
    # Changed bytes and files directly in each directory that has any (kept in the child).
    own: dict[str, list[int]] = field(default_factory=dict)
    secrets: list[tuple[str, str]] = field(default_factory=list)  # (kind, path)
    sniff: list[str] = field(default_factory=list)
    partial: bool = False
    # ("not-a-directory", root) or ("cannot-walk", reason); the server words it.
    error: tuple[str, str] | None = None
    largest: list[tuple[str, int, int]] = field(default_factory=list)  # (path, bytes, files)
    caches: list[tuple[str, str, int, int]] = field(default_factory=list)  # (kind, path, ...)
    # Seconds each part took: list (the first levels), walk (find and its output), sniff, sum.
    timings: dict[str, float] = field(default_factory=dict)

    def subtree_totals(self) -> dict[str, list[int]]:
        """Changed bytes and files under each directory, its own and its descendants'."""
        totals: dict[str, list[int]] = {}
        root = self.root.rstrip("/") or "/"
        for directory, (size, count) in self.own.items():
            path = directory
            while True:
                entry = totals.get(path)
                if entry is None:
                    entry = totals[path] = [0, 0]
                entry[0] += size
                entry[1] += count
                if path == root or len(path) <= len(root):
                    break
                path = os.path.dirname(path)
        return totals

    def summarize(self, environ: Mapping[str, str] = os.environ) -> None:
        """Fill ``largest`` and ``caches`` from the per-directory sums, once the walk ended."""
        totals = self.subtree_totals()
        self.largest = _largest(self.root, totals)
        self.caches = _caches(self.root, totals, environ)

    def to_json(self) -> dict[str, Any]:
        """What the child sends back: everything but the per-directory sums."""
        return {
            "root": self.root, "since": self.since, "files": self.files, "bytes": self.bytes,
            "secrets": self.secrets, "partial": self.partial, "error": self.error,
            "largest": self.largest, "caches": self.caches, "timings": self.timings,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScanResult:
        return cls(
            root=data["root"], since=data["since"], files=data["files"], bytes=data["bytes"],
            secrets=[(kind, path) for kind, path in data["secrets"]],
            partial=data["partial"], error=tuple(data["error"]) if data["error"] else None,
            largest=[(path, size, files) for path, size, files in data["largest"]],
            caches=[(kind, path, size, files) for kind, path, size, files in data["caches"]],
            timings=data["timings"],
        )  # fmt: skip


def _largest(
    root: str, totals: dict[str, list[int]], count: int = 10
) -> list[tuple[str, int, int]]:
    """The directories that explain most of the added bytes, each byte named once: a directory
    most of whose bytes sit in one subdirectory gives way to it."""
    dominated = set()
    for path, (size, _count) in totals.items():
        parent = os.path.dirname(path)
        if parent != path and parent in totals and size >= 0.8 * totals[parent][0]:
            dominated.add(parent)
    root = root.rstrip("/") or "/"
    kept = [
        (size, files, path)
        for path, (size, files) in totals.items()
        if path not in dominated and path != root
    ]
    kept.sort(reverse=True)
    chosen: list[tuple[str, int, int]] = []
    for size, files, path in kept:
        # Each byte is named once: nothing inside a directory already listed.
        if not any(under(path, listed) for listed, _size, _files in chosen):
            chosen.append((path, size, files))
            if len(chosen) == count:
                break
    return chosen


def _caches(
    root: str, totals: dict[str, list[int]], environ: Mapping[str, str]
) -> list[tuple[str, str, int, int]]:
    """The known caches among the changed directories, with what the image would carry."""
    root = root.rstrip("/")
    moved = {}
    for variable, moved_kind in CACHE_VARIABLES.items():
        for value in (environ.get(variable) or "").split(os.pathsep):
            if value.startswith("/"):
                moved[root + value.rstrip("/")] = moved_kind
    found: list[tuple[str, str, int, int]] = []
    for path in sorted(totals):
        if any(under(path, listed) for _kind, listed, _size, _files in found):
            continue  # inside a cache already listed
        relative = path[len(root) :].lstrip("/")
        kind: str | None = moved.get(path) or next(
            (name for name, pattern in CACHES if pattern.fullmatch(relative)), None
        )
        if kind:
            size, files = totals[path]
            found.append((kind, path, size, files))
    found.sort(key=lambda item: -item[2])
    return found


class _Reader:
    """Reads one find's output: ``%y %b %p`` records, NUL-ended, summed per directory."""

    def __init__(self, result: ScanResult) -> None:
        self.result = result
        self.rest = b""
        # Per directory, decided once: its totals, whether its files may be credentials by
        # their folder, and whether small files in it are read for a key pair.
        self.current_dir: bytes | None = None
        self.current: list[int] = [0, 0]
        self.special = self.sniffable = False

    def feed(self, block: bytes) -> None:
        records = (self.rest + block).split(b"\0")
        self.rest = records.pop()
        for record in records:
            # "f 8 /home/ma-user/.netrc": the type, the 512-byte blocks, the path.
            blocks, _sep, raw = record[2:].partition(b" ")
            self.add(record[:1], int(blocks), raw)
        self.result.files += len(records)

    def add(self, kind: bytes, blocks: int, raw: bytes) -> None:
        result = self.result
        directory, _sep, name = raw.rpartition(b"/")
        if directory != self.current_dir:
            self.current_dir = directory
            text = os.fsdecode(directory) or "/"
            current = result.own.get(text)
            if current is None:
                current = result.own[text] = [0, 0]
            self.current = current
            self.special = text.rpartition("/")[2] in SECRET_FOLDERS or "/.ipython/" in text
            self.sniffable = bool(HOME.search(text + "/")) and not NOT_SNIFFED.search(text + "/")
        size = blocks * 512
        result.bytes += size
        self.current[0] += size
        self.current[1] += 1
        if kind != b"f":
            return  # links, sockets, FIFOs, devices: nothing to read
        if name[:1] == b"." or self.special or name.endswith(MAYBE_KEYS) or name in CONFIGS:
            path = os.fsdecode(raw)
            found = secret_kind(path)
            if found is None and name.endswith(MAYBE_KEYS) and _holds_private_key(path):
                found = "private-key"
            if found is None and name in CONFIGS and _config_holds_credentials(path):
                found = TOOL_CONFIGS[os.fsdecode(name)]
            if found:
                if len(result.secrets) < SECRETS_MAX:
                    result.secrets.append((found, path))
                return
        if self.sniffable and size <= SNIFF_MAX_BYTES and len(result.sniff) < SNIFF_MAX_FILES:
            result.sniff.append(os.fsdecode(raw))


class Walk:
    """One walk of ``root``, in the process that calls ``run`` (the child)."""

    def __init__(
        self,
        root: str,
        since: float,
        prune: Iterable[str],
        timeout: float,
        workers: int = WORKERS,
        find: str | None = None,
    ) -> None:
        self.result = ScanResult(root=os.path.abspath(root), since=since)
        self.prune = sorted({os.path.abspath(path) for path in prune})
        self.timeout = timeout
        self.workers = max(1, workers)
        self.find = find or shutil.which("find") or "find"
        self.stopped = False
        self._finds: list[subprocess.Popen[bytes]] = []

    def find_command(self, starts: list[str]) -> list[str]:
        root = self.result.root
        pruned: list[str] = []
        for path in self.prune:
            if path != root and under(path, root):
                pruned += ["-path", _glob_escape(path), "-o"]
        # find's "-newer" is "later than": one microsecond earlier makes it "at or after".
        since = f"@{self.result.since - 1e-6:.6f}"
        command = [self.find, *starts, "-xdev"]
        if pruned:
            command += ["(", *pruned[:-1], ")", "-prune", "-o"]
        return [
            *command, "!", "-type", "d", "(", "-newerct", since, "-o", "-newermt", since, ")",
            "-printf", "%y %b %p\\0",
        ]  # fmt: skip

    def run(self, on_progress: Callable[[ScanResult], None] | None = None) -> ScanResult:
        result = self.result
        deadline = time.monotonic() + self.timeout
        started = time.perf_counter()
        if not os.path.isdir(result.root):
            result.error = ("not-a-directory", result.root)
            return result
        try:
            starts = self._first_levels()
        except OSError as error:
            result.error = ("cannot-walk", error.strerror or str(error))
            return result
        listed = time.perf_counter()
        try:
            self._walk(starts, deadline, on_progress)
        except OSError as error:
            result.error = ("cannot-walk", error.strerror or str(error))
            return result
        finally:
            for process in self._finds:
                if process.poll() is None:
                    process.kill()
                process.wait()
        walked = time.perf_counter()
        result.partial = result.partial or self.stopped
        if not result.partial:
            self._sniff(deadline)
        sniffed = time.perf_counter()
        result.secrets.sort(key=lambda item: item[1])
        result.summarize()
        result.timings = {
            "list": round(listed - started, 4),
            "walk": round(walked - listed, 4),
            "sniff": round(sniffed - walked, 4),
            "sum": round(time.perf_counter() - sniffed, 4),
        }
        return result

    def stop(self) -> None:
        """End the walk early; what was seen so far is kept, marked partial."""
        self.stopped = True

    def _first_levels(self) -> list[str]:
        """List the first ``SPLIT_DEPTH`` levels as find would, and return the directories
        below them: the finds' start points."""
        result, root = self.result, self.result.root
        device = os.lstat(root).st_dev
        pruned = set(self.prune)
        reader = _Reader(result)
        frontier = [root]
        for _level in range(SPLIT_DEPTH):
            below = []
            for directory in frontier:
                for path, info in _entries(directory):
                    if path in pruned:
                        continue
                    if stat.S_ISDIR(info.st_mode):
                        if info.st_dev == device:  # another device is a mount: not saved
                            below.append(path)
                    elif max(info.st_ctime, info.st_mtime) >= result.since - 1e-6:
                        letter = TYPE_LETTERS.get(stat.S_IFMT(info.st_mode), "U")
                        reader.add(letter.encode(), info.st_blocks, os.fsencode(path))
                        result.files += 1
            frontier = below
        return sorted(frontier)

    def _walk(
        self,
        starts: list[str],
        deadline: float,
        on_progress: Callable[[ScanResult], None] | None,
    ) -> None:
        """Run the finds, ``workers`` at a time, reading their output as it comes."""
        chunks = _chunks(starts, max(1, -(-len(starts) // (self.workers * CHUNKS_PER_WORKER))))
        selector = selectors.DefaultSelector()
        running = 0
        next_progress = 0.0
        while (chunks or running) and not self.stopped:
            while chunks and running < self.workers:
                process = subprocess.Popen(
                    self.find_command(chunks.pop(0)),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
                assert process.stdout is not None
                self._finds.append(process)
                selector.register(process.stdout, selectors.EVENT_READ, _Reader(self.result))
                running += 1
            now = time.monotonic()
            if now >= deadline:
                self.result.partial = True
                break
            for key, _events in selector.select(timeout=min(PROGRESS_EVERY, deadline - now)):
                block = os.read(key.fd, READ_BLOCK)
                if block:
                    key.data.feed(block)
                else:
                    selector.unregister(key.fileobj)
                    running -= 1
                    for process in self._finds:
                        process.poll()  # reap the finds that ended
            if on_progress and time.monotonic() >= next_progress:
                on_progress(self.result)
                next_progress = time.monotonic() + PROGRESS_EVERY
        selector.close()

    def _sniff(self, deadline: float) -> None:
        """Look into small home files for something shaped like an access key pair."""
        result = self.result
        for path in result.sniff:
            if time.monotonic() >= deadline or self.stopped:
                result.partial = True
                break
            if _holds_key_pair(path) and len(result.secrets) < SECRETS_MAX:
                result.secrets.append(("access-key-pair", path))
        result.sniff = []


def _chunks(starts: list[str], count: int) -> list[list[str]]:
    """``starts`` in order, ``count`` to a chunk, and never more than ``CHUNK_BYTES`` of them."""
    chunks: list[list[str]] = [[]]
    size = 0
    for path in starts:
        length = len(os.fsencode(path)) + 1
        if chunks[-1] and (len(chunks[-1]) >= count or size + length > CHUNK_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(path)
        size += length
    return [chunk for chunk in chunks if chunk]


def _entries(directory: str) -> Iterator[tuple[str, os.stat_result]]:
    """A directory's entries with their own (not followed) status; unreadable ones skipped,
    as find skips them."""
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                try:
                    yield entry.path, entry.stat(follow_symlinks=False)
                except OSError:
                    continue
    except OSError:
        return


def _child(stdin: IO[bytes], stdout: IO[bytes]) -> int:
    stopped = []  # a stop can come before the walk exists
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stopped.append(True))
    request = json.loads(stdin.read())
    walk = Walk(request["root"], request["since"], request["prune"], request["timeout"])
    signal.signal(signal.SIGTERM, lambda _signum, _frame: walk.stop())
    if stopped:
        walk.stop()

    def progress(result: ScanResult) -> None:
        stdout.write(b"P %d %d\n" % (result.files, result.bytes))
        stdout.flush()

    result = walk.run(progress)
    stdout.write(b"R " + json.dumps(result.to_json()).encode() + b"\n")
    stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.stdin.buffer, sys.stdout.buffer))
