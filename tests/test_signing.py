"""The project's signer must produce exactly what the official SDK's signer produces."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from jupyterlab_modelarts_snapshot.signing import UNSIGNED_TRANSPORT_HEADERS, SdkHmacSha256Auth

AK, SK = "HPUAXXXXXXXXXXXXXXXX", "sk/with+odd=chars~0123456789abcdefghijkl"
NOW = datetime(2026, 11, 27, 8, 30, 5, tzinfo=timezone.utc)

PATHS = [
    "/v1/0f1e2d3c4b5a69788796a5b4c3d2e1f0/notebooks/6b0f3c5e-1d2a-4c8b-9e7f-0a1b2c3d4e5f/create-image",
    "/v1/proj/images/",
    "/",
    "/v1/proj/images/a b",
    "/v1/proj/images/%E4%BD%A0%E5%A5%BD",
    "/v1/proj/odd~chars-_.!*'()",
    "/v1/proj/images/semi;colon,comma",
]
QUERIES: list[list[tuple[str, str]]] = [
    [],
    [("limit", "200"), ("offset", "0")],
    [("name", "pytorch env"), ("namespace", "atelier-auto"), ("sort_dir", "desc")],
    [("b", "2"), ("a", "1"), ("a", "0")],
    [("unicode", "名字"), ("empty", ""), ("sym", "a+b=c&d/e~f")],
]
BODIES: list[tuple[bytes | None, str | None]] = [
    (None, None),
    (b'{"name": "pytorch1_4", "namespace": "atelier-auto", "tag": "20221223"}', "application/json"),
    ('{"description": "保存"}'.encode(), "application/json;charset=UTF-8"),
    (b"plain text body", "text/plain"),
]
HEADER_SETS: list[dict[str, str]] = [
    {},
    {"X-Custom": "  padded value  ", "X_Underscore": "skipped"},
    {"User-Agent": "modelarts-snapshot-test/1.0", "X-Request-Id": "abc"},
]
TOKENS = [None, "temporary-security-token/abc+def=="]
PROJECTS = [None, "0f1e2d3c4b5a69788796a5b4c3d2e1f0"]
METHODS = ["GET", "POST", "DELETE", "PUT"]


def all_cases() -> list[tuple[Any, ...]]:
    product = itertools.product(METHODS, PATHS, QUERIES, BODIES, HEADER_SETS, TOKENS, PROJECTS)
    # Every combination of the smaller axes, a spread over the larger ones: ~700 requests.
    return [case for index, case in enumerate(product) if index % 11 == 0]


def sign_with_project(
    method: str,
    path: str,
    query: list[tuple[str, str]],
    body: bytes | None,
    content_type: str | None,
    headers: dict[str, str],
    token: str | None,
    project: str | None,
) -> httpx.Request:
    all_headers = dict(headers)
    if content_type:
        all_headers["Content-Type"] = content_type
    request = httpx.Request(
        method,
        "https://modelarts.cn-north-4.myhuaweicloud.com" + path,
        params=query,
        headers=all_headers,
        content=body,
    )
    flow = SdkHmacSha256Auth(AK, SK, token, project, now=NOW).auth_flow(request)
    return next(flow)


def sign_with_sdk(request: httpx.Request) -> str:
    headers = {
        name: value
        for name, value in request.headers.items()
        if name.lower() not in UNSIGNED_TRANSPORT_HEADERS and name.lower() != "authorization"
    }
    sdk_request = SdkRequest(
        method=request.method,
        schema="https",
        host=request.url.host,
        resource_path=request.url.raw_path.decode().split("?")[0],
        query_params=list(request.url.params.multi_items()),
        header_params=headers,
        body=request.content or None,
    )
    signed = Signer(BasicCredentials(AK, SK)).sign(sdk_request)
    authorization: str = signed.header_params["Authorization"]
    return authorization


@pytest.mark.parametrize("case", all_cases())
def test_signature_matches_official_sdk(case: tuple[Any, ...]) -> None:
    method, path, query, (body, content_type), headers, token, project = case
    request = sign_with_project(method, path, query, body, content_type, headers, token, project)
    assert request.headers["Authorization"] == sign_with_sdk(request)
    assert request.headers["X-Sdk-Date"] == "20261127T083005Z"
    if token:
        assert request.headers["X-Security-Token"] == token
        assert "x-security-token" in request.headers["Authorization"]


def test_the_cases_cover_every_axis() -> None:
    """The spread over the larger axes still signs every value of every axis at least once."""
    cases = all_cases()
    axes = (METHODS, PATHS, QUERIES, BODIES, HEADER_SETS, TOKENS, PROJECTS)
    for position, values in enumerate(axes):
        seen = [case[position] for case in cases]
        assert all(value in seen for value in values), f"axis {position} is not covered"


def test_auth_repr_hides_keys() -> None:
    auth = SdkHmacSha256Auth(AK, SK, "token")
    assert AK not in repr(auth) and SK not in repr(auth)
