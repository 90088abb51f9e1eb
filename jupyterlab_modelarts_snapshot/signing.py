"""AK/SK request signing (``SDK-HMAC-SHA256``), as Huawei Cloud's official SDK signs.

The same canonical form is used by the client to sign and by the emulator to verify.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Generator, Iterable, Mapping
from datetime import datetime, timezone
from urllib.parse import quote, unquote

import httpx

ALGORITHM = "SDK-HMAC-SHA256"
DATE_HEADER = "X-Sdk-Date"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
CONTENT_HASH_HEADER = "X-Sdk-Content-Sha256"
EMPTY_BODY_HASH = hashlib.sha256(b"").hexdigest()
UNSIGNED_TRANSPORT_HEADERS = frozenset(
    {"accept", "accept-encoding", "connection", "content-length"}
)


def _encode(text: str) -> str:
    return quote(text, safe="~")


def canonical_uri(path: str) -> str:
    uri = "/".join(_encode(segment) for segment in unquote(path).split("/"))
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    return "&".join(f"{_encode(key)}={_encode(value)}" for key, value in sorted(params))


def signed_header_names(headers: Iterable[str]) -> list[str]:
    # The SDK leaves out header names containing '_' (proxies may drop them).
    return sorted({name.lower() for name in headers if "_" not in name})


def canonical_request(
    method: str,
    path: str,
    params: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    signed_headers: list[str],
    body: bytes,
) -> str:
    lowered = {name.lower(): value for name, value in headers.items()}
    header_lines = "".join(f"{name}:{lowered.get(name, '').strip()}\n" for name in signed_headers)
    if not body:
        body_hash = EMPTY_BODY_HASH
    else:  # the SDK leaves bodies other than JSON unsigned, saying so in this header
        body_hash = lowered.get(CONTENT_HASH_HEADER.lower()) or hashlib.sha256(body).hexdigest()
    return "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(params),
            header_lines,
            ";".join(signed_headers),
            body_hash,
        ]
    )


def signature(secret_key: str, sdk_date: str, canonical: str) -> str:
    string_to_sign = f"{ALGORITHM}\n{sdk_date}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    return hmac.new(secret_key.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


def parse_authorization(value: str) -> dict[str, str] | None:
    """Split ``SDK-HMAC-SHA256 Access=.., SignedHeaders=.., Signature=..``; None if malformed."""
    prefix = ALGORITHM + " "
    if not value.startswith(prefix):
        return None
    parts: dict[str, str] = {}
    for item in value[len(prefix) :].split(","):
        key, sep, val = item.strip().partition("=")
        if not sep:
            return None
        parts[key] = val
    return parts if {"Access", "SignedHeaders", "Signature"} <= parts.keys() else None


# ModelArts' own tools send the session's user ID with each call; it is signed like the rest.
USER_ID_HEADER = "X-ModelArts-User-ID"


class SdkHmacSha256Auth(httpx.Auth):
    """Signs each request with an access key / secret key pair, as the official SDK does."""

    requires_request_body = True

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        security_token: str | None = None,
        project_id: str | None = None,
        now: datetime | None = None,
        user_id: str | None = None,
    ) -> None:
        self._access_key = access_key
        self._secret_key = secret_key
        self._security_token = security_token
        self._project_id = project_id
        self._now = now
        self._user_id = user_id

    def __repr__(self) -> str:  # never show the keys
        return f"{type(self).__name__}(access_key=***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        now = self._now or datetime.now(timezone.utc)
        sdk_date = now.strftime(DATE_FORMAT)
        request.headers[DATE_HEADER] = sdk_date
        request.headers["Host"] = request.url.netloc.decode("ascii")
        if self._security_token:
            request.headers["X-Security-Token"] = self._security_token
        if self._project_id:
            request.headers["X-Project-Id"] = self._project_id
        if self._user_id:
            request.headers[USER_ID_HEADER] = self._user_id
        content_type = request.headers.get("Content-Type", "")
        if content_type and not content_type.startswith(("application/json", "application/bson")):
            request.headers[CONTENT_HASH_HEADER] = "UNSIGNED-PAYLOAD"
        # Sign what the SDK signs: everything but the transport headers added after signing.
        to_sign = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in UNSIGNED_TRANSPORT_HEADERS
        }
        names = signed_header_names(to_sign)
        canonical = canonical_request(
            request.method,
            request.url.raw_path.decode("ascii").split("?", 1)[0],
            request.url.params.multi_items(),
            to_sign,
            names,
            request.content,
        )
        sig = signature(self._secret_key, sdk_date, canonical)
        request.headers["Authorization"] = (
            f"{ALGORITHM} Access={self._access_key}, SignedHeaders={';'.join(names)}, Signature={sig}"
        )
        yield request
