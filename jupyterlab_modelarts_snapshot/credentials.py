"""Where the credentials come from, in the official Huawei Cloud SDK's order.

config -> environment -> profile file -> the preinstalled ``modelarts`` SDK session ->
instance metadata service (temporary AK/SK, refreshed before they expire) ->
``MODELARTS_AUTH_TOKEN`` (an IAM token sent as ``X-Auth-Token``).

Secrets stay inside :class:`Credentials`: its repr hides them and nothing here logs them.
"""

from __future__ import annotations

import asyncio
import configparser
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from .config import MODELARTS_SDK_PYTHONS, ModelArtsSnapshot
from .i18n import _
from .signing import USER_ID_HEADER, SdkHmacSha256Auth

log = logging.getLogger(__name__)

# Refresh temporary credentials this long before they end (or a fifth of a short lifetime).
REFRESH_MARGIN_SECONDS = 300.0
# Do not ask an absent metadata service again on every request.
NEGATIVE_CACHE_SECONDS = 60.0
METADATA_TIMEOUT = httpx.Timeout(3.0)
SESSION_FIELDS = (
    "access_key", "secret_key", "security_token", "project_id", "region_name", "user_id",
)  # fmt: skip
# Run by a Python that can import the modelarts SDK from a path the server's cannot: it prints
# the session's fields as JSON on stdout, a pipe to this process only.
SESSION_HELPER = (
    "import json\nfrom modelarts.session import Session\ns = Session()\n"
    f"print(json.dumps({{k: str(getattr(s, k, '') or '') for k in {SESSION_FIELDS!r}}}))"
)


@dataclass(repr=False)
class Credentials:
    source: str
    access_key: str = ""
    secret_key: str = ""
    security_token: str = ""
    auth_token: str = ""
    project_id: str = ""
    region: str = ""
    user_id: str = ""  # a modelarts SDK session's; sent as X-ModelArts-User-ID, as its tools do
    expires_at: float | None = None  # epoch seconds; None for long-lived credentials
    fetched_at: float = field(default_factory=time.time)

    def __repr__(self) -> str:
        return f"Credentials(source={self.source!r}, expires_at={self.expires_at!r})"

    def needs_refresh(self, now: float | None = None) -> bool:
        if self.expires_at is None:
            return False
        now = time.time() if now is None else now
        margin = min(REFRESH_MARGIN_SECONDS, (self.expires_at - self.fetched_at) / 5)
        return now >= self.expires_at - margin

    def auth(self, project_id: str | None) -> httpx.Auth:
        if self.auth_token:
            return _TokenAuth(self.auth_token, self.user_id)
        return SdkHmacSha256Auth(
            self.access_key,
            self.secret_key,
            self.security_token or None,
            project_id,
            user_id=self.user_id or None,
        )


class _TokenAuth(httpx.Auth):
    def __init__(self, token: str, user_id: str = "") -> None:
        self._token = token
        self._user_id = user_id

    def __repr__(self) -> str:
        return "_TokenAuth(***)"

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        request.headers["X-Auth-Token"] = self._token
        if self._user_id:
            request.headers[USER_ID_HEADER] = self._user_id
        yield request


def _sdk_dirs(paths: list[str]) -> list[str]:
    """The given paths that hold a ``modelarts`` package."""
    return [path for path in paths if os.path.isdir(os.path.join(path, "modelarts"))]


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


def _parse_expiry(text: Any) -> float | None:
    if not text:
        return None
    if isinstance(text, (int, float)):
        return float(text)
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


class CredentialChain:
    """Finds credentials once, keeps them, and refreshes temporary ones before they end."""

    def __init__(self, settings: ModelArtsSnapshot, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http
        self._current: Credentials | None = None
        self._checked_at = 0.0
        self._lock = asyncio.Lock()
        self.problems: list[str] = []

    @property
    def source(self) -> str | None:
        return self._current.source if self._current else None

    async def get(self) -> Credentials | None:
        """Current credentials, found or refreshed when needed; None when no source has any."""
        current = self._current
        if current and not current.needs_refresh():
            return current
        if current is None and time.time() - self._checked_at < NEGATIVE_CACHE_SECONDS:
            return None
        return await self.refresh()

    async def refresh(self) -> Credentials | None:
        """Look again through the chain (after expiry or a 401)."""
        async with self._lock:
            self._checked_at = time.time()
            self.problems = []
            self._current = await self._find()
            if self._current:
                log.info("ModelArts credentials from %s", self._current.source)
            return self._current

    async def _find(self) -> Credentials | None:
        settings = self._settings
        if settings.access_key and settings.secret_key:
            return Credentials(
                "config", settings.access_key, settings.secret_key, settings.security_token
            )
        if _env("HUAWEICLOUD_SDK_AK") and _env("HUAWEICLOUD_SDK_SK"):
            return Credentials(
                "env",
                _env("HUAWEICLOUD_SDK_AK"),
                _env("HUAWEICLOUD_SDK_SK"),
                _env("HUAWEICLOUD_SDK_SECURITY_TOKEN"),
            )
        found = (
            self._from_profile() or await self._from_modelarts_sdk() or await self._from_metadata()
        )
        if found:
            return found
        if _env("MODELARTS_AUTH_TOKEN"):
            return Credentials("env:MODELARTS_AUTH_TOKEN", auth_token=_env("MODELARTS_AUTH_TOKEN"))
        self.problems.append(
            _(
                "No ModelArts credentials were found. In a ModelArts notebook, use the instance's own "
                "agency credentials, which need no file: authorize ModelArts with an agency (Global "
                "Configuration in the ModelArts console) so that the preinstalled modelarts SDK "
                "session works. Elsewhere, set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (and "
                "HUAWEICLOUD_SDK_SECURITY_TOKEN for temporary keys), or MODELARTS_AUTH_TOKEN to an "
                "IAM token. Do not write keys to a file outside the work volume (such as "
                "~/.huaweicloud/credentials): every saved image would carry it."
            )
        )
        return None

    def _from_profile(self) -> Credentials | None:
        path = Path(
            _env("HUAWEICLOUD_SDK_CREDENTIALS_FILE") or Path.home() / ".huaweicloud" / "credentials"
        )
        if not path.is_file():
            return None
        parser = configparser.ConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (OSError, configparser.Error) as error:
            self.problems.append(
                _(
                    "The credentials file {path} could not be read: {error}.",
                    path=str(path),
                    error=type(error).__name__,
                )
            )
            return None
        if not parser.has_section("basic"):
            self.problems.append(
                _("The credentials file {path} has no [basic] section.", path=str(path))
            )
            return None
        section = parser["basic"]
        if not (section.get("ak") and section.get("sk")):
            self.problems.append(
                _("The [basic] section of {path} needs both 'ak' and 'sk'.", path=str(path))
            )
            return None
        return Credentials(
            f"profile:{path}",
            section["ak"],
            section["sk"],
            section.get("security_token", ""),
            project_id=section.get("project_id", ""),
        )

    async def _from_modelarts_sdk(self) -> Credentials | None:
        """The preinstalled SDK's session: imported here when it can be, else read by a helper
        run with the SDK's path, by this Python or one of the platform's."""
        fields: dict[str, str] | None = None
        source = "modelarts-sdk"
        try:
            from modelarts.session import Session
        except Exception:  # not importable here: look where the platform keeps it
            Session = None
        if Session is not None:
            try:
                session = await asyncio.wait_for(asyncio.to_thread(Session), timeout=30)
            except Exception as error:
                self.problems.append(
                    _(
                        "The modelarts SDK session could not be opened ({error}).",
                        error=type(error).__name__,
                    )
                )
                return None
            fields = {key: str(getattr(session, key, "") or "") for key in SESSION_FIELDS}
        else:
            for path in _sdk_dirs(self._settings.modelarts_sdk_paths):
                fields = await self._session_from(path)
                if fields is not None:
                    source = f"modelarts-sdk:{path}"
                    break
        if not fields or not (fields["access_key"] and fields["secret_key"]):
            return None
        return Credentials(
            source,
            fields["access_key"],
            fields["secret_key"],
            fields["security_token"],
            project_id=fields["project_id"],
            region=fields["region_name"],
            user_id=fields["user_id"],
        )

    async def _session_from(self, path: str) -> dict[str, str] | None:
        pythons = [sys.executable, *(p for p in MODELARTS_SDK_PYTHONS if os.access(p, os.X_OK))]
        environment = {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}
        for python in pythons:
            try:
                helper = await asyncio.create_subprocess_exec(
                    python, "-c", SESSION_HELPER, env=environment,
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
                )  # fmt: skip
                out, _errors = await asyncio.wait_for(helper.communicate(), timeout=30)
            except (OSError, asyncio.TimeoutError):
                continue
            if helper.returncode != 0:
                continue  # this Python cannot import it: try the next
            try:
                fields = json.loads(out.decode().strip().splitlines()[-1])
                return {key: str(fields.get(key) or "") for key in SESSION_FIELDS}
            except (ValueError, IndexError, AttributeError):
                continue
        self.problems.append(
            _(
                "The modelarts SDK at {path} could not be loaded by this Python or the platform's.",
                path=path,
            )
        )
        return None

    async def _from_metadata(self) -> Credentials | None:
        base = self._settings.metadata_url.rstrip("/")
        if not base or base.lower() == "off":
            return None
        headers = {}
        try:
            token = await self._http.put(
                f"{base}/meta-data/latest/api/token",
                headers={"X-Metadata-Token-Ttl-Seconds": "21600"},
                timeout=METADATA_TIMEOUT,
            )
            if token.status_code == 200:
                headers["X-Metadata-Token"] = token.text
            response = await self._http.get(
                f"{base}/openstack/latest/securitykey", headers=headers, timeout=METADATA_TIMEOUT
            )
        except httpx.HTTPError:
            return None  # no metadata service here
        if response.status_code != 200:
            self.problems.append(
                _(
                    "The instance metadata service answered HTTP {status} for temporary "
                    "credentials: check the notebook's agency (IAM authorization).",
                    status=response.status_code,
                )
            )
            return None
        try:
            data = response.json()
            credential = data.get("credential") or data.get("credentials") or data
            return Credentials(
                "metadata",
                credential["access"],
                credential["secret"],
                credential.get("securitytoken", ""),
                expires_at=_parse_expiry(credential.get("expires_at")),
            )
        except (ValueError, KeyError, AttributeError, TypeError):
            self.problems.append(
                _("The instance metadata service sent credentials in an unknown form.")
            )
            return None
