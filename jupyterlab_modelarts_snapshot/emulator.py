"""A local ModelArts for demos and tests: real HTTP, real signature checks, scripted faults.

It serves the calls this project makes (CreateImage, ShowImage, ListImage, ShowNotebook, the
image sync call), an IAM token endpoint and the instance metadata service, and walks each image
INIT -> CREATING -> ACTIVE on configurable timings. Control routes under ``/_emulator/`` let a
test or a person fail saves, inject errors and delays, and read how many requests each route
served (``GET /_emulator/requests``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import json
import logging
import secrets
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from tornado import httpserver, netutil, web

from .rules import InvalidInput, validate_save_request
from .signing import DATE_FORMAT, DATE_HEADER, canonical_request, parse_authorization, signature

log = logging.getLogger("modelarts_emulator")

DEMO_PROJECT_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
DEMO_NOTEBOOK_ID = "6b0f3c5e-1d2a-4c8b-9e7f-0a1b2c3d4e5f"
DEMO_ACCESS_KEY = "EMULATORACCESSKEY0001"
DEMO_SECRET_KEY = "emulator-secret-key-0001"  # noqa: S105 - a public demo key for the emulator only
DEMO_USER = "demo"
DEMO_PASSWORD = "demo-password"  # noqa: S105
MAX_CLOCK_SKEW = timedelta(minutes=15)


@dataclass
class Fault:
    """Answer the next ``count`` requests of ``route`` with an error or after a delay."""

    route: str
    count: int = 1
    status: int | None = None
    error_code: str = "ModelArts.6101"
    error_msg: str = "The system is busy. Try again later."
    delay: float = 0.0
    retry_after: int | None = None
    # For create_image: do the work, then wait ``delay`` before answering (a lost answer).
    after: bool = False


@dataclass
class EmulatorState:
    project_id: str = DEMO_PROJECT_ID
    region: str = "cn-north-4"
    init_seconds: float = 2.0
    creating_seconds: float = 8.0
    image_size_kb: int = 3_481_600
    duplicate_tag: str = "overwrite"  # or "reject": undocumented upstream, so both are offered
    temp_credentials_ttl: float = 3600.0
    token_ttl: float = 86400.0
    keys: dict[str, str] = field(default_factory=lambda: {DEMO_ACCESS_KEY: DEMO_SECRET_KEY})
    temporary_keys: dict[str, tuple[str, str, float]] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)
    notebooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    images: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    fail_next_save: str | None = None
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        if not self.notebooks:
            self.add_notebook(DEMO_NOTEBOOK_ID)

    def add_notebook(self, notebook_id: str, status: str = "RUNNING") -> None:
        self.notebooks[notebook_id] = {
            "id": notebook_id,
            "name": "notebook-demo",
            "status": status,
            "image": {
                "id": "e1a07296-22a8-4f05-8bc8-e936c8e54090",
                "name": "pytorch1.8-cuda10.2-cudnn7-ubuntu18.04",
            },
            "flavor": "modelarts.vm.cpu.2u",
            "workspace": {"id": "0"},
        }

    def reset(self) -> None:
        fresh = EmulatorState(
            project_id=self.project_id, keys=self.keys, init_seconds=self.init_seconds,
            creating_seconds=self.creating_seconds,
        )  # fmt: skip
        self.__dict__.update(fresh.__dict__)

    # Images move on with time; their status is computed when read.
    def image_view(self, image: dict[str, Any]) -> dict[str, Any]:
        elapsed = time.time() - image["_created"]
        view = {key: value for key, value in image.items() if not key.startswith("_")}
        if image["status"] in ("INIT", "CREATING"):
            if elapsed < self.init_seconds:
                view["status"], view["status_message"] = "INIT", "Initializing the image save."
            elif elapsed < self.init_seconds + self.creating_seconds:
                view["status"], view["status_message"] = (
                    "CREATING",
                    "Committing the container and pushing layers to SWR.",
                )
            elif image["_fail"]:
                view["status"], view["status_message"] = "CREATE_FAILED", image["_fail"]
            else:
                view["status"], view["status_message"] = "ACTIVE", "Image saved."
                view["size"] = self.image_size_kb
            view["update_at"] = int(
                min(time.time(), image["_created"] + self.init_seconds + self.creating_seconds)
                * 1000
            )
        return view

    def notebook_view(self, notebook_id: str) -> dict[str, Any]:
        notebook = dict(self.notebooks[notebook_id])
        saving = any(
            image["_notebook"] == notebook_id
            and self.image_view(image)["status"] in ("INIT", "CREATING")
            for image in self.images.values()
        )
        if saving and notebook["status"] == "RUNNING":
            notebook["status"] = "SNAPSHOTTING"
        return notebook


def _error(code: str, msg: str) -> dict[str, str]:
    return {"error_code": code, "error_msg": msg}


class EmulatorHandler(web.RequestHandler):
    route_name = "unknown"
    answer_delay = 0.0

    def initialize(self, state: EmulatorState) -> None:
        self.state = state

    def check_xsrf_cookie(self) -> None:  # an API, not a browser form
        pass

    def send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.set_header(name, value)
        self.finish(json.dumps(body))

    async def prepare(self) -> None:
        self.state.counts[self.route_name] += 1
        for fault in list(self.state.faults):
            if fault.route in (self.route_name, "*") and fault.count > 0:
                fault.count -= 1
                if fault.count <= 0:
                    self.state.faults.remove(fault)
                if fault.after:
                    self.answer_delay = fault.delay
                elif fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.status:
                    headers = (
                        {"Retry-After": str(fault.retry_after)}
                        if fault.retry_after is not None
                        else None
                    )
                    self.send(fault.status, _error(fault.error_code, fault.error_msg), headers)
                return

    def json_body(self) -> Any:
        try:
            return json.loads(self.request.body or b"null")
        except ValueError:
            return None


class ModelArtsHandler(EmulatorHandler):
    """Checks the caller the way ModelArts' API gateway does before any route runs."""

    async def prepare(self) -> None:
        await super().prepare()
        if self._finished:
            return
        problem = self.authenticate()
        if problem:
            self.send(
                401, _error("APIGW.0301", f"Incorrect IAM authentication information: {problem}")
            )
            return
        project = self.path_args[0] if self.path_args else None
        if project != self.state.project_id:
            self.send(403, _error("ModelArts.6407", f"No permission for project {project}."))

    def authenticate(self) -> str | None:
        headers = self.request.headers
        token = headers.get("X-Auth-Token")
        if token:
            expires = self.state.tokens.get(token)
            if expires is None:
                return "decrypt token fail"
            return "token expires" if expires < time.time() else None
        auth = parse_authorization(headers.get("Authorization", ""))
        if auth is None:
            return "missing X-Auth-Token or a valid SDK-HMAC-SHA256 Authorization header"
        try:
            sent = datetime.strptime(headers.get(DATE_HEADER, ""), DATE_FORMAT).replace(
                tzinfo=timezone.utc
            )
        except ValueError:
            return "x-sdk-date is missing or malformed"
        if abs(datetime.now(timezone.utc) - sent) > MAX_CLOCK_SKEW:
            return "x-sdk-date is expired or too far in the future"
        secret = self.state.keys.get(auth["Access"])
        if secret is None and auth["Access"] in self.state.temporary_keys:
            secret, security_token, expires = self.state.temporary_keys[auth["Access"]]
            if expires < time.time():
                return "the temporary access key has expired"
            if headers.get("X-Security-Token") != security_token:
                return "the security token does not match the temporary access key"
        if secret is None:
            return "the access key is unknown"
        names = auth["SignedHeaders"].split(";")
        if "x-sdk-date" not in names:
            return "x-sdk-date must be signed"
        params = [
            (key, value.decode())
            for key, values in self.request.query_arguments.items()
            for value in values
        ]
        canonical = canonical_request(
            self.request.method or "GET",
            self.request.path,
            params,
            dict(headers.get_all()),
            names,
            self.request.body,
        )
        expected = signature(secret, headers[DATE_HEADER], canonical)
        if not hmac.compare_digest(expected, auth["Signature"]):
            return "verify aksk signature fail"
        return None

    def find_notebook(self, notebook_id: str) -> dict[str, Any] | None:
        if notebook_id not in self.state.notebooks:
            self.send(404, _error("ModelArts.6309", f"The instance {notebook_id} does not exist."))
            return None
        return self.state.notebook_view(notebook_id)

    def find_image(self, image_id: str) -> dict[str, Any] | None:
        image = self.state.images.get(image_id)
        if image is None:
            self.send(404, _error("ModelArts.6404", f"Image {image_id} not found."))
        return image


class CreateImageHandler(ModelArtsHandler):
    route_name = "create_image"

    async def post(self, project_id: str, notebook_id: str) -> None:
        notebook = self.find_notebook(notebook_id)
        if notebook is None:
            return
        try:
            body = validate_save_request(self.json_body())
        except InvalidInput as error:
            self.send(400, _error("ModelArts.6400", f"Invalid payload: {error.message}"))
            return
        if notebook["status"] == "SNAPSHOTTING":
            self.send(
                400, _error("ModelArts.6357", "Another operation is in progress on the instance.")
            )
            return
        if notebook["status"] != "RUNNING":
            self.send(
                400,
                _error(
                    "ModelArts.6327", f"The instance is not running (status {notebook['status']})."
                ),
            )
            return
        tag = body.get("tag", "latest")
        duplicate = [
            image_id for image_id, image in self.state.images.items()
            if (image["namespace"], image["name"], image["tag"]) == (body["namespace"], body["name"], tag)
        ]  # fmt: skip
        if duplicate and self.state.duplicate_tag == "reject":
            self.send(
                400,
                _error(
                    "ModelArts.6737",
                    f"The image {body['name']}:{tag} already exists in {body['namespace']}.",
                ),
            )
            return
        for image_id in duplicate:  # pushing an existing name:tag overwrites it in SWR
            del self.state.images[image_id]
        now = time.time()
        image_id = str(uuid.uuid4())
        image = {
            "id": image_id,
            "name": body["name"],
            "namespace": body["namespace"],
            "tag": tag,
            "description": body.get("description", ""),
            "workspace_id": body.get("workspace_id", "0"),
            "status": "INIT",
            "status_message": "",
            "swr_path": f"swr.{self.state.region}.myhuaweicloud.com/{body['namespace']}/{body['name']}:{tag}",
            "size": 0,
            "create_at": int(now * 1000),
            "update_at": int(now * 1000),
            "arch": "x86_64",
            "origin": "IMAGE_SAVE",
            "type": "DEDICATED",
            "service_type": "DEV",
            "visibility": "PRIVATE",
            "dev_services": ["NOTEBOOK", "SSH"],
            "resource_categories": ["CPU"],
            "_created": now,
            "_notebook": notebook_id,
            "_fail": self.state.fail_next_save,
        }
        self.state.fail_next_save = None
        self.state.images[image_id] = image
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        self.send(200, self.state.image_view(image))


class ShowImageHandler(ModelArtsHandler):
    route_name = "show_image"

    def get(self, project_id: str, image_id: str) -> None:
        image = self.find_image(image_id)
        if image is not None:
            self.send(200, self.state.image_view(image))


class SyncImageHandler(ShowImageHandler):
    route_name = "sync_image"

    def post(self, project_id: str, image_id: str) -> None:
        self.get(project_id, image_id)


class ListImagesHandler(ModelArtsHandler):
    route_name = "list_image"

    def get(self, project_id: str) -> None:
        args = {
            key: self.get_query_argument(key, "")
            for key in ("name", "namespace", "workspace_id", "type")
        }
        try:
            limit = int(self.get_query_argument("limit", "200"))
            offset = int(self.get_query_argument("offset", "0"))
        except ValueError:
            self.send(400, _error("ModelArts.6400", "limit and offset must be integers."))
            return
        images = [self.state.image_view(image) for image in self.state.images.values()]
        for key in ("name", "namespace", "workspace_id", "type"):
            if args[key]:
                images = [image for image in images if image.get(key) == args[key]]
        images.sort(
            key=lambda image: image["create_at"],
            reverse=self.get_query_argument("sort_dir", "desc") == "desc",
        )
        page = images[offset : offset + limit]
        self.send(
            200,
            {
                "current": offset // max(limit, 1),
                "data": page,
                "pages": -(-len(images) // max(limit, 1)),
                "size": len(page),
                "total": len(images),
            },
        )


class ShowNotebookHandler(ModelArtsHandler):
    route_name = "show_notebook"

    def get(self, project_id: str, notebook_id: str) -> None:
        notebook = self.find_notebook(notebook_id)
        if notebook is not None:
            self.send(200, notebook)


class IamTokenHandler(EmulatorHandler):
    route_name = "iam_token"

    def post(self) -> None:
        body = self.json_body() or {}
        try:
            user = body["auth"]["identity"]["password"]["user"]
            name, password = user["name"], user["password"]
        except (KeyError, TypeError):
            self.send(
                400,
                _error(
                    "IAM.0011", "Request parameter error: expected auth.identity.password.user."
                ),
            )
            return
        if not (
            hmac.compare_digest(str(name), DEMO_USER)
            and hmac.compare_digest(str(password), DEMO_PASSWORD)
        ):
            self.send(401, _error("IAM.0002", "The username or password is wrong."))
            return
        token = "MII" + secrets.token_urlsafe(48)
        expires = time.time() + self.state.token_ttl
        self.state.tokens[token] = expires
        expires_at = datetime.fromtimestamp(expires, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self.send(
            201,
            {"token": {"expires_at": expires_at, "methods": ["password"]}},
            {"X-Subject-Token": token},
        )


class MetadataTokenHandler(EmulatorHandler):
    route_name = "metadata_token"

    def put(self) -> None:
        self.set_header("Content-Type", "text/plain")
        self.finish(secrets.token_hex(16))


class MetadataSecurityKeyHandler(EmulatorHandler):
    route_name = "metadata_securitykey"

    def get(self) -> None:
        access = "TEMP" + secrets.token_hex(8).upper()
        secret = secrets.token_urlsafe(24)
        token = secrets.token_urlsafe(64)
        expires = time.time() + self.state.temp_credentials_ttl
        self.state.temporary_keys[access] = (secret, token, expires)
        expires_at = datetime.fromtimestamp(expires, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self.send(
            200,
            {
                "credential": {
                    "access": access,
                    "secret": secret,
                    "securitytoken": token,
                    "expires_at": expires_at,
                }
            },
        )


class RequestCountsHandler(EmulatorHandler):
    """``GET /_emulator/requests``: requests served per route since the last reset."""

    route_name = "_control"

    def get(self) -> None:
        counts = {key: value for key, value in self.state.counts.items() if key != "_control"}
        self.send(200, {"counts": counts, "total": sum(counts.values())})

    def delete(self) -> None:
        self.state.counts.clear()
        self.send(200, {"counts": {}, "total": 0})


class FaultsHandler(EmulatorHandler):
    route_name = "_control"

    def get(self) -> None:
        self.send(200, {"faults": [fault.__dict__ for fault in self.state.faults]})

    def post(self) -> None:
        try:
            fault = Fault(**(self.json_body() or {}))
        except TypeError as error:
            self.send(400, {"message": f"Bad fault: {error}"})
            return
        self.state.faults.append(fault)
        self.send(201, fault.__dict__)

    def delete(self) -> None:
        self.state.faults.clear()
        self.send(200, {"faults": []})


class ConfigHandler(EmulatorHandler):
    """``POST /_emulator/config``: timings, duplicate-tag behaviour, a failing next save,
    notebook status, and ``revoke_credentials`` (temporary keys and tokens stop working)."""

    route_name = "_control"
    settable = (
        "init_seconds",
        "creating_seconds",
        "duplicate_tag",
        "fail_next_save",
        "temp_credentials_ttl",
        "token_ttl",
        "image_size_kb",
    )

    def get(self) -> None:
        self.send(200, self.describe())

    def post(self) -> None:
        body = self.json_body() or {}
        for key, value in body.items():
            if key == "notebook_status":
                for notebook in self.state.notebooks.values():
                    notebook["status"] = value
            elif key == "revoke_credentials" and value:
                # Temporary keys and tokens stop working, as when they expire early upstream.
                self.state.temporary_keys.clear()
                self.state.tokens.clear()
            elif key == "notebooks":
                for notebook_id in value:
                    self.state.add_notebook(notebook_id)
            elif key in self.settable:
                setattr(self.state, key, value)
            else:
                self.send(400, {"message": f"Unknown setting {key!r}."})
                return
        self.send(200, self.describe())

    def describe(self) -> dict[str, Any]:
        described = {key: getattr(self.state, key) for key in self.settable}
        described["notebooks"] = {
            key: value["status"] for key, value in self.state.notebooks.items()
        }
        described["project_id"] = self.state.project_id
        return described


class ResetHandler(EmulatorHandler):
    route_name = "_control"

    def post(self) -> None:
        self.state.reset()
        self.send(200, {"reset": True})


def make_app(state: EmulatorState) -> web.Application:
    kwargs = {"state": state}
    project = r"/v1/([^/]+)"
    uuid_ = r"([^/]+)"
    return web.Application(
        [
            (rf"{project}/notebooks/{uuid_}/create-image", CreateImageHandler, kwargs),
            (rf"{project}/notebooks/{uuid_}", ShowNotebookHandler, kwargs),
            (rf"{project}/images", ListImagesHandler, kwargs),
            (rf"{project}/images/{uuid_}", ShowImageHandler, kwargs),
            (rf"{project}/images/{uuid_}/sync", SyncImageHandler, kwargs),
            (r"/v3/auth/tokens", IamTokenHandler, kwargs),
            (r"/meta-data/latest/api/token", MetadataTokenHandler, kwargs),
            (r"/openstack/latest/securitykey", MetadataSecurityKeyHandler, kwargs),
            (r"/_emulator/requests", RequestCountsHandler, kwargs),
            (r"/_emulator/faults", FaultsHandler, kwargs),
            (r"/_emulator/config", ConfigHandler, kwargs),
            (r"/_emulator/reset", ResetHandler, kwargs),
        ],
        log_function=_log_request,
    )


def _log_request(handler: web.RequestHandler) -> None:
    log.info("%s %s %s", handler.get_status(), handler.request.method, handler.request.path)


async def serve(state: EmulatorState, host: str, port: int) -> None:
    sockets = netutil.bind_sockets(port, host)
    server = httpserver.HTTPServer(make_app(state))
    server.add_sockets(sockets)
    bound = sockets[0].getsockname()[1]
    url = f"http://{host}:{bound}"
    # The first line is machine-readable so tests and scripts can find the port.
    print(
        json.dumps({"url": url, "project_id": state.project_id, "notebook_id": DEMO_NOTEBOOK_ID}),
        flush=True,
    )
    print(
        f"ModelArts emulator on {url}\n"
        f"  MODELARTS_ENDPOINT={url}\n  HUAWEICLOUD_SDK_PROJECT_ID={state.project_id}\n"
        f"  MODELARTS_NOTEBOOK_ID={DEMO_NOTEBOOK_ID}\n  HUAWEICLOUD_SDK_AK={DEMO_ACCESS_KEY}\n"
        f"  HUAWEICLOUD_SDK_SK={DEMO_SECRET_KEY}\n  MODELARTS_METADATA_URL={url}\n"
        f"  request counts: {url}/_emulator/requests",
        flush=True,
    )
    await asyncio.Event().wait()


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(
        prog="jupyter modelarts-snapshot emulator", description=__doc__
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8090, help="port (0 picks a free one; default 8090)"
    )
    parser.add_argument(
        "--init-seconds", type=float, default=2.0, help="how long an image stays INIT"
    )
    parser.add_argument(
        "--creating-seconds", type=float, default=8.0, help="how long an image stays CREATING"
    )
    parser.add_argument("--duplicate-tag", choices=("overwrite", "reject"), default="overwrite")
    parser.add_argument(
        "--temp-credentials-ttl",
        type=float,
        default=3600.0,
        help="lifetime of metadata-service keys",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO, format="[emulator %(asctime)s] %(message)s", stream=sys.stderr
    )
    state = EmulatorState(
        init_seconds=args.init_seconds, creating_seconds=args.creating_seconds,
        duplicate_tag=args.duplicate_tag, temp_credentials_ttl=args.temp_credentials_ttl,
    )  # fmt: skip
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(state, args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(run(build_parser().parse_args()))
