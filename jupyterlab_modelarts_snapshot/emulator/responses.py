"""The emulator's HTTP answers: the API gateway's checks, each ModelArts call, the SWR calls,
IAM, the metadata service, and the ``/_emulator/`` control routes."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from tornado import web

from ..signing import (
    DATE_FORMAT,
    DATE_HEADER,
    USER_ID_HEADER,
    canonical_request,
    parse_authorization,
    signature,
)
from .models import (
    DEMO_NOTEBOOK_ID,
    DEMO_PASSWORD,
    DEMO_USER,
    FORCE_FORMS,
    EmulatorState,
    Fault,
    ServiceError,
    SwrError,
    invalid,
)

log = logging.getLogger("modelarts_emulator")

MAX_CLOCK_SKEW = timedelta(minutes=15)


def _error(code: str, msg: str) -> dict[str, str]:
    return {"error_code": code, "error_msg": msg}


def _expires_at(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class EmulatorHandler(web.RequestHandler):
    route_name = "unknown"
    answer_delay = 0.0
    log_entry: dict[str, Any] | None = None

    def initialize(self, state: EmulatorState) -> None:
        self.state = state

    def set_default_headers(self) -> None:
        # Every API-gateway answer carries one; Huawei support asks for it.
        self.request_id = uuid.uuid4().hex
        self.set_header("X-Request-Id", self.request_id)

    def check_xsrf_cookie(self) -> None:  # an API, not a browser form
        pass

    def send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.set_header(name, value)
        self.finish(json.dumps(body))

    def send_service_error(self, error: ServiceError) -> None:
        self.send(error.status, error.body())

    def route(self) -> str:
        """The ModelArts call this request is, for counts and faults."""
        return self.route_name

    async def prepare(self) -> None:
        route = self.route()
        self.state.counts[route] += 1
        if route != "_control":
            self.log_entry = {"route": route, "at": time.time()}
            self.state.log.append(self.log_entry)
        for fault in list(self.state.faults):
            if fault.route in (route, "*") and fault.count > 0:
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

    def strict_json_body(self) -> Any:
        """The body as JSON, None when empty; a body that is not JSON is an invalid payload."""
        if not self.request.body.strip():
            return None
        try:
            return json.loads(self.request.body)
        except ValueError:
            raise invalid("the body is not JSON.") from None


class SignedHandler(EmulatorHandler):
    """Checks the caller the way Huawei Cloud's API gateway does before any route runs: the
    same for ModelArts and SWR."""

    async def prepare(self) -> None:
        await super().prepare()
        if self._finished:
            return
        problem = self.authenticate()
        if problem:
            self.send(
                401, _error("APIGW.0301", f"Incorrect IAM authentication information: {problem}")
            )

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
        # What the platform's tools send: recorded so that a test can see it arrived signed.
        self.state.user_ids[self.route()] = {
            "user_id": headers.get(USER_ID_HEADER),
            "signed": USER_ID_HEADER.lower() in names,
        }
        return None


class ModelArtsHandler(SignedHandler):
    """A ModelArts route: signed, and for the project the path names."""

    async def prepare(self) -> None:
        await super().prepare()
        if self._finished:
            return
        project = self.path_args[0] if self.path_args else None
        if project != self.state.project_id:
            self.send(403, _error("ModelArts.6407", f"No permission for project {project}."))


class CreateImageHandler(ModelArtsHandler):
    route_name = "create_image"

    async def post(self, project_id: str, notebook_id: str) -> None:
        try:
            image = self.state.create_image(notebook_id, self.json_body())
        except ServiceError as error:
            self.send_service_error(error)
            return
        if self.answer_delay:  # the image exists, but the answer comes late
            await asyncio.sleep(self.answer_delay)
        self.send(200, image)


class ImageHandler(ModelArtsHandler):
    route_name = "show_image"

    def route(self) -> str:
        return "delete_image" if self.request.method == "DELETE" else self.route_name

    def get(self, project_id: str, image_id: str) -> None:
        try:
            image = self.state.show_image(image_id)
        except ServiceError as error:
            self.send_service_error(error)
            return
        if self.log_entry is not None and self.route() == "show_image":
            # So a test can order other calls against the save's progress as answered.
            self.log_entry["status"] = image["status"]
        self.send(200, image)

    def delete(self, project_id: str, image_id: str) -> None:
        """DeleteImage, forced by the query ``force=true`` (the API reference) or the body
        ``{"is_force": true}`` (the SDK); the log entry says which (``force``: "query",
        "body", "both" or None)."""
        entry = self.log_entry if self.log_entry is not None else {}
        entry.update(image_id=image_id, force=None)
        try:
            forms = self.state.force_forms(
                self.get_query_argument("force", None), self.strict_json_body()
            )
        except ServiceError as error:
            self.send_service_error(error)
            return
        entry["force"] = "both" if len(forms) > 1 else next(iter(forms), None)
        try:
            self.send(200, self.state.delete_image(image_id, forms))
        except ServiceError as error:
            self.send_service_error(error)


class SyncImageHandler(ImageHandler):
    route_name = "sync_image"

    def post(self, project_id: str, image_id: str) -> None:
        self.get(project_id, image_id)


class ListImagesHandler(ModelArtsHandler):
    route_name = "list_image"

    def get(self, project_id: str) -> None:
        query = {key: self.get_query_argument(key) for key in self.request.query_arguments}
        try:
            self.send(200, self.state.list_images(query))
        except ServiceError as error:
            self.send_service_error(error)


class ShowNotebookHandler(ModelArtsHandler):
    route_name = "show_notebook"

    def get(self, project_id: str, notebook_id: str) -> None:
        try:
            self.send(200, self.state.show_notebook(notebook_id))
        except ServiceError as error:
            self.send_service_error(error)


class StopNotebookHandler(ModelArtsHandler):
    route_name = "stop_notebook"

    def post(self, project_id: str, notebook_id: str) -> None:
        try:
            self.send(200, self.state.stop_notebook(notebook_id))
        except ServiceError as error:
            self.send_service_error(error)


class StartNotebookHandler(ModelArtsHandler):
    route_name = "start_notebook"

    def post(self, project_id: str, notebook_id: str) -> None:
        duration = self.get_query_argument("duration", None)
        kind = self.get_query_argument("type", None)
        try:
            self.send(200, self.state.start_notebook(notebook_id, duration, kind))
        except ServiceError as error:
            self.send_service_error(error)


class LeaseHandler(ModelArtsHandler):
    """ShowLease (GET) and RenewLease (PATCH, body LeaseReq and/or ``?duration=``)."""

    route_name = "show_lease"

    def route(self) -> str:
        return "renew_lease" if self.request.method == "PATCH" else self.route_name

    def get(self, project_id: str, notebook_id: str) -> None:
        try:
            self.send(200, self.state.show_lease(notebook_id))
        except ServiceError as error:
            self.send_service_error(error)

    def patch(self, project_id: str, notebook_id: str) -> None:
        try:
            body = self.strict_json_body()
            duration = self.get_query_argument("duration", None)
            self.send(200, self.state.renew_lease(notebook_id, body, duration))
        except ServiceError as error:
            self.send_service_error(error)


def _repository(name: str) -> str:
    """A repository name as SWR's paths carry it: each '/' sent as '$'."""
    return name.replace("$", "/")


class SwrTagsHandler(SignedHandler):
    """SWR's ListRepositoryTags: ``GET /v2/manage/namespaces/{namespace}/repos/{repository}/tags``
    with ``limit``, ``offset``, ``order_column``, ``order_type``, ``tag`` or ``filter``; the tags
    as a JSON list, and ``Content-Range: offset-count/total``."""

    route_name = "swr_list_tags"

    def get(self, namespace: str, repository: str) -> None:
        query = {key: self.get_query_argument(key) for key in self.request.query_arguments}
        if self.log_entry is not None:
            self.log_entry.update(namespace=namespace, repository=_repository(repository))
        try:
            tags, content_range = self.state.list_repository_tags(
                namespace, _repository(repository), query
            )
        except ServiceError as error:
            self.send_service_error(error)
            return
        self.send(200, tags, {"Content-Range": content_range})


class SwrTagHandler(SignedHandler):
    """SWR's DeleteRepoTag: ``DELETE /v2/manage/namespaces/{namespace}/repos/{repository}/tags/
    {tag}``, 204 with no body."""

    route_name = "swr_delete_tag"

    def delete(self, namespace: str, repository: str, tag: str) -> None:
        if self.log_entry is not None:
            self.log_entry.update(namespace=namespace, repository=_repository(repository), tag=tag)
        try:
            self.state.delete_repo_tag(namespace, _repository(repository), tag)
        except ServiceError as error:
            self.send_service_error(error)
            return
        self.set_status(204)
        self.finish()


class SwrQuotasHandler(SignedHandler):
    """SWR's ListQuotas: ``GET /v2/manage/projects/{project_id}/quotas``."""

    route_name = "swr_quotas"

    def get(self, project_id: str) -> None:
        if project_id != self.state.project_id:
            message = "You cannot apply for or operate the resources that do not belong to you."
            self.send_service_error(SwrError(403, "SVCSTG.SWR.4039001", message))
            return
        self.send(200, self.state.swr_quotas())


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
        token, expires = self.state.issue_token()
        self.send(
            201,
            {"token": {"expires_at": _expires_at(expires), "methods": ["password"]}},
            {"X-Subject-Token": token},
        )


class MetadataTokenHandler(EmulatorHandler):
    route_name = "metadata_token"

    def put(self) -> None:
        self.set_header("Content-Type", "text/plain")
        self.finish(uuid.uuid4().hex)


class MetadataSecurityKeyHandler(EmulatorHandler):
    route_name = "metadata_securitykey"

    def get(self) -> None:
        access, secret, token, expires = self.state.issue_temporary_keys()
        self.send(
            200,
            {
                "credential": {
                    "access": access,
                    "secret": secret,
                    "securitytoken": token,
                    "expires_at": _expires_at(expires),
                }
            },
        )


class RequestCountsHandler(EmulatorHandler):
    """``GET /_emulator/requests``: requests served per route since the last reset, the
    ``X-ModelArts-User-ID`` each route last received with a valid signature (and whether the
    signature covered it), the requests in order (``log``: route, time, the status each
    ShowImage answered, each DeleteImage's ``image_id`` and ``force`` form, and each SWR call's
    ``namespace``, ``repository`` and ``tag``) and what each RenewLease received
    (``renewals``). DELETE clears all but the user IDs."""

    route_name = "_control"

    def get(self) -> None:
        counts = {key: value for key, value in self.state.counts.items() if key != "_control"}
        self.send(
            200,
            {
                "counts": counts,
                "total": sum(counts.values()),
                "user_ids": self.state.user_ids,
                "log": self.state.log,
                "renewals": self.state.renewals,
            },
        )

    def delete(self) -> None:
        self.state.clear_requests()
        self.send(200, {"counts": {}, "total": 0, "log": [], "renewals": []})


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


class SeedImageHandler(EmulatorHandler):
    """``POST /_emulator/images``: put an image in place, as another save would have (its SWR
    tag too). One image object gives its view; a list of them, or ``{"images": [...]}``, seeds
    them all (or none, if one is wrong) and gives their views the same way."""

    route_name = "_control"

    def post(self) -> None:
        body = self.json_body()
        try:
            if isinstance(body, list):
                self.send(201, self.state.seed_images(body))
            elif isinstance(body, dict) and isinstance(body.get("images"), list):
                self.send(201, {"images": self.state.seed_images(body["images"])})
            else:
                self.send(201, self.state.seed_image(body))
        except ValueError as error:
            self.send(400, {"message": str(error)})


class LeaseControlHandler(EmulatorHandler):
    """``POST /_emulator/lease``: set the demo notebook's lease (or ``notebook_id``'s): any of
    create_at, update_at, duration, enable, type, or ``stops_in_seconds``. GET shows it
    (``?notebook_id=``)."""

    route_name = "_control"

    def get(self) -> None:
        notebook_id = self.get_query_argument("notebook_id", DEMO_NOTEBOOK_ID)
        if notebook_id not in self.state.notebooks:
            self.send(400, {"message": f"No notebook {notebook_id!r}."})
            return
        self.send(200, self.state.show_lease(notebook_id))

    def post(self) -> None:
        body = self.json_body()
        if not isinstance(body, dict):
            self.send(400, {"message": "Give a JSON object of lease fields."})
            return
        try:
            self.send(200, self.state.set_lease(body))
        except ValueError as error:
            self.send(400, {"message": str(error)})


class ConfigHandler(EmulatorHandler):
    """``POST /_emulator/config``: timings, duplicate-tag behaviour, a failing next save,
    notebook status, ``revoke_credentials`` (temporary keys and tokens stop working),
    ``repoint_after_save`` (whether a save that reaches ACTIVE becomes ShowNotebook's image)
    and ``delete_force_forms`` (which of DeleteImage's force forms delete the SWR tag)."""

    route_name = "_control"
    settable = (
        "init_seconds",
        "creating_seconds",
        "stopping_seconds",
        "duplicate_tag",
        "fail_next_save",
        "temp_credentials_ttl",
        "token_ttl",
        "image_size_kb",
        "repoint_after_save",
        "delete_force_forms",
    )

    def get(self) -> None:
        self.send(200, self.describe())

    def post(self) -> None:
        body = self.json_body() or {}
        for key, value in body.items():
            if key == "notebook_status":
                for notebook_id in self.state.notebooks:
                    self.state.set_notebook_status(notebook_id, value)
            elif key == "revoke_credentials" and value:
                # Temporary keys and tokens stop working, as when they expire early upstream.
                self.state.temporary_keys.clear()
                self.state.tokens.clear()
            elif key == "notebooks":
                for notebook_id in value:
                    self.state.add_notebook(notebook_id)
            elif key == "duplicate_tag" and value not in ("reject", "overwrite"):
                self.send(400, {"message": "duplicate_tag is 'reject' or 'overwrite'."})
                return
            elif key == "repoint_after_save" and not isinstance(value, bool):
                self.send(400, {"message": "repoint_after_save is true or false."})
                return
            elif key == "delete_force_forms" and (
                not isinstance(value, list) or not set(value) <= set(FORCE_FORMS)
            ):
                self.send(400, {"message": "delete_force_forms is a list of 'query' and 'body'."})
                return
            elif key in self.settable:
                setattr(self.state, key, value)
            else:
                self.send(400, {"message": f"Unknown setting {key!r}."})
                return
        self.send(200, self.describe())

    def describe(self) -> dict[str, Any]:
        described = {key: getattr(self.state, key) for key in self.settable}
        described["notebooks"] = {
            key: self.state.notebook(key)["status"] for key in self.state.notebooks
        }
        described["project_id"] = self.state.project_id
        return described


class ResetHandler(EmulatorHandler):
    route_name = "_control"

    def post(self) -> None:
        self.state.reset()
        self.send(200, {"reset": True})


def log_request(handler: web.RequestHandler) -> None:
    request_id = getattr(handler, "request_id", "-")
    log.info(
        "%s %s %s (request %s)",
        handler.get_status(),
        handler.request.method,
        handler.request.path,
        request_id,
    )
