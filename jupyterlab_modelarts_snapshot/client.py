"""Async ModelArts API client on one ``httpx.AsyncClient`` with explicit timeouts."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx

from .config import ModelArtsSnapshot
from .credentials import CredentialChain
from .rules import PROJECT_ID_PATTERN, is_uuid

log = logging.getLogger(__name__)


class UpstreamError(Exception):
    """Anything that kept a ModelArts call from giving an answer we can use."""

    message = "ModelArts could not be reached."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class ModelArtsError(UpstreamError):
    """ModelArts answered with an error: its HTTP status, ``error_code`` and ``error_msg``."""

    def __init__(self, status: int, error_code: str | None, error_msg: str | None) -> None:
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg
        code = f" {error_code}" if error_code else ""
        super().__init__(
            f"ModelArts refused the request (HTTP {status}{code}): {error_msg or 'no reason given'}"
        )


class CredentialsRejected(ModelArtsError):
    """ModelArts refused the credentials, even after they were looked up again."""

    def __init__(
        self, status: int, error_code: str | None, error_msg: str | None, source: str | None
    ) -> None:
        super().__init__(status, error_code, error_msg)
        self.message = (
            f"ModelArts did not accept the credentials from {source or 'the environment'} "
            f"(HTTP {status} {error_code or ''}). Check that the access key, secret key or token "
            "are current and allowed to use ModelArts in this project and region."
        )


class UpstreamTimeout(UpstreamError):
    message = "ModelArts did not answer in time."


class UpstreamUnreachable(UpstreamError):
    message = "ModelArts could not be reached: check the endpoint and the network."


class NoCredentials(UpstreamError):
    message = "No ModelArts credentials were found."


def _safe_id(value: str, kind: str) -> str:
    """IDs go into URL paths: refuse anything that could change the path."""
    ok = PROJECT_ID_PATTERN.fullmatch(value) if kind == "project" else is_uuid(value)
    if not ok:
        raise ValueError(f"invalid {kind} id")
    return quote(value, safe="")


def open_http_client(settings: ModelArtsSnapshot) -> httpx.AsyncClient:
    timeout = httpx.Timeout(settings.request_timeout, connect=min(10.0, settings.request_timeout))
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False)


class ModelArtsClient:
    def __init__(
        self, settings: ModelArtsSnapshot, http: httpx.AsyncClient, credentials: CredentialChain
    ) -> None:
        self.settings = settings
        self.http = http
        self.credentials = credentials

    @property
    def _project_path(self) -> str:
        return f"/v1/{_safe_id(self.settings.project_id, 'project')}"

    async def _call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Any:
        url = self.settings.endpoint.rstrip("/") + path
        for attempt in (1, 2):
            creds = await self.credentials.get()
            if creds is None:
                raise NoCredentials(" ".join(self.credentials.problems) or None)
            try:
                response = await self.http.request(
                    method,
                    url,
                    params=params,
                    json=body,
                    headers={"Content-Type": "application/json"},
                    auth=creds.auth(self.settings.project_id),
                )
            except httpx.TimeoutException as error:
                log.warning("ModelArts %s %s timed out (%s)", method, path, type(error).__name__)
                raise UpstreamTimeout() from None
            except httpx.HTTPError as error:
                log.warning("ModelArts %s %s failed (%s)", method, path, type(error).__name__)
                raise UpstreamUnreachable() from None
            log.debug("ModelArts %s %s -> %s", method, path, response.status_code)
            if response.is_success:
                try:
                    return response.json()
                except ValueError:
                    raise ModelArtsError(
                        response.status_code, None, "the answer was not JSON"
                    ) from None
            code, msg = _error_fields(response)
            if response.status_code == 401:
                if attempt == 1:
                    # Temporary keys or a token may have just expired: look them up once more.
                    await self.credentials.refresh()
                    continue
                raise CredentialsRejected(401, code, msg, self.credentials.source)
            raise ModelArtsError(response.status_code, code, msg)
        raise AssertionError("unreachable")

    async def create_image(self, notebook_id: str, body: dict[str, str]) -> dict[str, Any]:
        path = f"{self._project_path}/notebooks/{_safe_id(notebook_id, 'notebook')}/create-image"
        result: dict[str, Any] = await self._call("POST", path, body=body)
        return result

    async def get_image(self, image_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "GET", f"{self._project_path}/images/{_safe_id(image_id, 'image')}"
        )
        return result

    async def list_images(self, **filters: Any) -> list[dict[str, Any]]:
        params = {key: value for key, value in filters.items() if value is not None}
        result = await self._call("GET", f"{self._project_path}/images", params=params)
        data = result.get("data", []) if isinstance(result, dict) else []
        return [item for item in data if isinstance(item, dict)]

    async def get_notebook(self, notebook_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "GET", f"{self._project_path}/notebooks/{_safe_id(notebook_id, 'notebook')}"
        )
        return result


def _error_fields(response: httpx.Response) -> tuple[str | None, str | None]:
    try:
        data = response.json()
    except ValueError:
        return None, response.reason_phrase or None
    if not isinstance(data, dict):
        return None, None
    code = data.get("error_code")
    msg = data.get("error_msg")
    return (str(code) if code else None), (str(msg)[:1000] if msg else None)
