"""Async ModelArts API client on one ``httpx.AsyncClient`` with explicit timeouts."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from typing import Any
from urllib.parse import quote

import httpx

from .config import ModelArtsSnapshot
from .credentials import CredentialChain
from .exceptions import (
    CredentialsRejected,
    ModelArtsError,
    NoCredentials,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from .rules import PROJECT_ID_PATTERN, is_uuid

log = logging.getLogger(__name__)


# Answers worth asking again: ModelArts was busy or briefly unavailable.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_ATTEMPTS = 4
BACKOFF_BASE = 0.5  # seconds before the second attempt, doubling after
BACKOFF_CAP = 8.0
RETRY_AFTER_CAP = 60.0


def backoff_delay(attempt: int, retry_after: float | None = None) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based).

    Exponential with "equal jitter": in [d/2, d] for d = min(cap, base * 2**(attempt-1)), so
    many servers never retry in step; a server's Retry-After (capped) is honoured when longer.
    """
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** (attempt - 1))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not crypto
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_CAP))
    return delay


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` is either seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


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
        endpoint: str | None = None,
    ) -> Any:
        """One logical call. Reads are retried with backoff on timeouts, lost connections and
        busy answers; a write is retried only on 429, which says it was not done."""
        idempotent = method == "GET"
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            try:
                response = await self._send(method, path, params, body, endpoint)
            except (UpstreamTimeout, UpstreamUnreachable):
                if idempotent and attempt < MAX_ATTEMPTS:
                    await asyncio.sleep(backoff_delay(attempt))
                    continue
                raise
            request_id = response.headers.get("X-Request-Id")
            if response.status_code == 204 or (response.is_success and not response.content):
                return {}  # DeleteRepoTag, and deletes that answer nothing
            if response.is_success:
                try:
                    return response.json()
                except ValueError:
                    raise ModelArtsError(
                        response.status_code, None, "the answer was not JSON", request_id
                    ) from None
            code, msg = _error_fields(response)
            log.warning(
                "ModelArts %s %s answered %s %s (request ID %s)",
                method,
                path,
                response.status_code,
                code or "",
                request_id or "none",
            )
            if response.status_code == 401:
                if not refreshed:
                    # Temporary keys or a token may have just expired: look them up once more.
                    refreshed = True
                    await self.credentials.refresh()
                    continue
                raise CredentialsRejected(401, code, msg, self.credentials.source, request_id)
            retryable = response.status_code == 429 or (
                idempotent and response.status_code in RETRY_STATUSES
            )
            if retryable and attempt < MAX_ATTEMPTS:
                delay = backoff_delay(
                    attempt, parse_retry_after(response.headers.get("Retry-After"))
                )
                log.info("Retrying ModelArts %s %s in %.1fs", method, path, delay)
                await asyncio.sleep(delay)
                continue
            raise ModelArtsError(response.status_code, code, msg, request_id)

    async def _send(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        body: dict[str, Any] | None,
        endpoint: str | None = None,
    ) -> httpx.Response:
        creds = await self.credentials.get()
        if creds is None:
            raise NoCredentials(" ".join(self.credentials.problems) or None)
        url = (endpoint or self.settings.endpoint).rstrip("/") + path
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
        return response

    async def create_image(self, notebook_id: str, body: dict[str, str]) -> dict[str, Any]:
        path = f"{self._project_path}/notebooks/{_safe_id(notebook_id, 'notebook')}/create-image"
        result: dict[str, Any] = await self._call("POST", path, body=body)
        return result

    async def get_image(self, image_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "GET", f"{self._project_path}/images/{_safe_id(image_id, 'image')}"
        )
        return result

    async def list_saved_images(self, name: str, **filters: Any) -> list[dict[str, Any]]:
        """Images saved from notebooks (``type=DEDICATED``; the service's default is the
        built-in ones) with exactly this name (the service matches names fuzzily by default)."""
        params = {key: value for key, value in filters.items() if value is not None}
        params.update(name=name, type="DEDICATED", name_fuzzy_match="false")
        result = await self._call("GET", f"{self._project_path}/images", params=params)
        data = result.get("data", []) if isinstance(result, dict) else []
        return [item for item in data if isinstance(item, dict)]

    async def list_images_page(self, **filters: Any) -> dict[str, Any]:
        """One page of ListImage as ModelArts answers it (``data``, ``total``)."""
        params = {key: value for key, value in filters.items() if value is not None}
        result = await self._call("GET", f"{self._project_path}/images", params=params)
        return result if isinstance(result, dict) else {}

    async def delete_image(self, image_id: str, force: str | None = None) -> None:
        """DeleteImage. ``force`` takes the SWR content too: "query" sends ``force=true`` (the
        API reference), "body" sends ``{"is_force": true}`` (the official SDK)."""
        await self._call(
            "DELETE",
            f"{self._project_path}/images/{_safe_id(image_id, 'image')}",
            params={"force": "true"} if force == "query" else None,
            body={"is_force": True} if force == "body" else None,
        )

    def _swr_tags_path(self, namespace: str, repository: str) -> str:
        # SWR takes a "/" in a repository name as "$".
        return (
            f"/v2/manage/namespaces/{quote(namespace, safe='')}/repos/"
            f"{quote(repository.replace('/', '$'), safe='$')}/tags"
        )

    async def swr_delete_tag(self, namespace: str, repository: str, tag: str) -> None:
        path = f"{self._swr_tags_path(namespace, repository)}/{quote(tag, safe='')}"
        await self._call("DELETE", path, endpoint=self.settings.swr_endpoint)

    def _notebook_path(self, notebook_id: str) -> str:
        return f"{self._project_path}/notebooks/{_safe_id(notebook_id, 'notebook')}"

    async def show_lease(self, notebook_id: str) -> dict[str, Any]:
        """ShowLease: the auto-stop lease (``create_at``, ``update_at``, ``duration`` in ms)."""
        result: dict[str, Any] = await self._call(
            "GET", self._notebook_path(notebook_id) + "/lease"
        )
        return result

    async def renew_lease(self, notebook_id: str, duration_ms: int, kind: str) -> dict[str, Any]:
        """RenewLease: stop ``duration_ms`` from now (the body form, as the SDK sends it)."""
        result: dict[str, Any] = await self._call(
            "PATCH",
            self._notebook_path(notebook_id) + "/lease",
            body={"duration": duration_ms, "type": kind},
        )
        return result

    async def stop_notebook(self, notebook_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST", self._notebook_path(notebook_id) + "/stop"
        )
        return result

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
    # ModelArts says error_code/error_msg; SWR errorCode/errorMessage.
    code = data.get("error_code") or data.get("errorCode")
    msg = data.get("error_msg") or data.get("errorMessage")
    return (str(code) if code else None), (str(msg)[:1000] if msg else None)
