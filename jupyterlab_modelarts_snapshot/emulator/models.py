"""The emulated service's state and behaviour: notebooks, images, credentials and faults.

Everything here follows Huawei Cloud's API reference and the official SDK's models, not the
product's own rules: the emulator is the product's referee, so a rule the two read differently
must make a test fail.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

DEMO_PROJECT_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
DEMO_NOTEBOOK_ID = "6b0f3c5e-1d2a-4c8b-9e7f-0a1b2c3d4e5f"
DEMO_USER_ID = "5c8f2a9e1b3d4f6a7c9e0b1d2f3a4c5e"
DEMO_DOMAIN_ID = "9e2d7c4b1a0f4e3d8c7b6a5f4e3d2c1b"  # the account SWR names in its answers
DEMO_ACCESS_KEY = "EMULATORACCESSKEY0001"
DEMO_SECRET_KEY = "emulator-secret-key-0001"  # noqa: S105 - a public demo key for the emulator only
DEMO_USER = "demo"
DEMO_PASSWORD = "demo-password"  # noqa: S105

# CreateImage's body (SDK ImageCreateReq) as the API reference words each field.
CREATE_FIELDS = (
    "name", "namespace", "tag", "description", "workspace_id", "swr_instance_id",
    "swr_instance_domain",
)  # fmt: skip
IMAGE_NAME = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,126}[a-z0-9])?")  # 128, ends alphanumeric
NAMESPACE = re.compile(r"[a-z][A-Za-z0-9._-]{0,63}")  # 64, starts with a lowercase letter
TAG = re.compile(r"[A-Za-z0-9._-]{1,64}")  # letters, digits, '-', '_' and '.'
WORKSPACE_ID = re.compile(r"0|[0-9a-z]{32}")  # ListImage: "0 or 32 of 0-9 and a-z"
DESCRIPTION_MAX = 512
IMAGE_TYPES = ("BUILD_IN", "DEDICATED")
SORT_KEYS = ("create_at", "update_at", "name", "namespace", "tag", "size", "status")
# Statuses a save walks through (computed from time); other statuses stay as stored.
SAVING_STATUSES = ("INIT", "CREATING")
# What ShowNotebook's ``image`` holds: the image the instance runs, or starts from next.
NOTEBOOK_IMAGE_FIELDS = ("id", "name", "swr_path", "type", "arch", "description")
# DeleteImage's two ways to delete the SWR content too: the API reference's query
# ``force=true`` and the SDK's body ``{"is_force": true}``.
FORCE_FORMS = ("query", "body")

# SWR (ListRepositoryTags, DeleteRepoTag, quotas), as its API reference and the SDK's models
# (huaweicloudsdkswr ShowReposTagResp, ShowQuota) give them.
SWR_LIMIT_DEFAULT, SWR_LIMIT_MAX = 100, 1000
SWR_ORDER_COLUMNS = ("updated_at", "tag")
SWR_NAMESPACE_QUOTA = 15
# Tags of an image whose save has not ended, or failed, are not in SWR.
SWR_HIDDEN_STATUSES = ("INIT", "CREATING", "CREATE_FAILED", "ERROR")

# The auto-stop lease (SDK Lease, LeaseReq): RenewLease takes 1 to 72 hours, in ms, from now.
HOUR_MS = 3_600_000
LEASE_MIN_MS, LEASE_MAX_MS = HOUR_MS, 72 * HOUR_MS
DEFAULT_LEASE_MS = 4 * HOUR_MS  # a new or started instance without a duration
LEASE_TYPES = ("TIMING", "IDLE")
LEASE_FIELDS = ("create_at", "update_at", "duration", "enable", "type")
# Statuses in which an operation is under way: a new one is "another operation" (6357), while
# any other status that is not RUNNING is "not running" (6327).
BUSY_STATUSES = ("INIT", "CREATING", "STARTING", "STOPPING", "SNAPSHOTTING", "DELETING")

# A few of the platform's built-in images, which ListImage returns when no type is given.
BUILT_IN_IMAGES = (
    ("e1a07296-22a8-4f05-8bc8-e936c8e54090", "pytorch1.8-cuda10.2-cudnn7-ubuntu18.04", "v2", "GPU"),
    ("278e88d1-5b71-4766-8502-b3ba72e824d9", "mindspore1.7.0-py3.7-ubuntu18.04", "v1", "CPU"),
    ("59a1e0a3-6c1e-4b3a-9c43-3f2f6b8b7d10", "tensorflow2.1-cuda10.1-cudnn7-ubuntu18.04", "v1", "GPU"),
)  # fmt: skip


class ServiceError(Exception):
    """An answer ModelArts gives as an error: HTTP status, ``error_code`` and ``error_msg``."""

    def __init__(self, status: int, error_code: str, error_msg: str) -> None:
        super().__init__(error_msg)
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg

    def body(self) -> dict[str, Any]:
        return {"error_code": self.error_code, "error_msg": self.error_msg}


class SwrError(ServiceError):
    """An answer SWR gives as an error: ``errorCode``, ``errorMessage`` and ``detail``, as its
    API reference shows them (the official SDK reads neither name, so an SDK exception from
    SWR carries the HTTP status as its code and this body as its message)."""

    def body(self) -> dict[str, Any]:
        return {"errorCode": self.error_code, "errorMessage": self.error_msg, "detail": ""}


def swr_invalid(message: str) -> SwrError:
    return SwrError(400, "SVCSTG.SWR.4000014", f"Invalid API parameters: {message}")


def invalid(message: str) -> ServiceError:
    return ServiceError(400, "ModelArts.6400", f"Invalid payload: {message}")


def busy(status: str) -> ServiceError:
    return ServiceError(
        400, "ModelArts.6357", f"Another operation is in progress on the instance ({status})."
    )


def not_running(status: str) -> ServiceError:
    return ServiceError(400, "ModelArts.6327", f"The instance is not running (status {status}).")


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


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def _utc(ms: int) -> str:
    """A time as SWR writes it: UTC, to the second, with a ``Z``."""
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_or_text(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:
        return text


def new_lease(duration: int = DEFAULT_LEASE_MS, lease_type: str = "TIMING") -> dict[str, Any]:
    now = _ms(time.time())
    return {
        "create_at": now, "update_at": now, "duration": duration, "enable": True,
        "type": lease_type,
    }  # fmt: skip


@dataclass
class EmulatorState:
    project_id: str = DEMO_PROJECT_ID
    region: str = "cn-north-4"
    init_seconds: float = 2.0
    creating_seconds: float = 8.0
    # How long a stopped instance shows STOPPING before STOPPED.
    stopping_seconds: float = 0.0
    image_size_kb: int = 3_481_600
    # ModelArts refuses an existing name:tag (ModelArts.6737); "overwrite" is the switch.
    duplicate_tag: str = "reject"
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
    # Every ModelArts, SWR, IAM and metadata request in order: {"route", "at"}, with show_image's
    # status, delete_image's image_id and force form, and the SWR routes' namespace, repository
    # (and tag).
    log: list[dict[str, Any]] = field(default_factory=list)
    # What each RenewLease received: duration, type, and whether from the query or the body.
    renewals: list[dict[str, Any]] = field(default_factory=list)
    user_ids: dict[str, dict[str, Any]] = field(default_factory=dict)
    # As the Terraform provider's docs say: a save that reaches ACTIVE becomes the notebook's
    # image (ShowNotebook's ``image``), the one its next start runs from. Off: it stays.
    repoint_after_save: bool = True
    # Which of DeleteImage's force forms delete the SWR content (both, as the emulator cannot
    # tell which one the service honours); a form left out is ignored, as an unknown one.
    delete_force_forms: list[str] = field(default_factory=lambda: list(FORCE_FORMS))
    # SWR: (namespace, repository) -> {"id", "namespace", "name", "tags": {tag: record}}.
    swr_repos: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    swr_namespaces: set[str] = field(default_factory=set)
    _swr_ids: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        if not self.images:
            for age, (image_id, name, tag, category) in enumerate(BUILT_IN_IMAGES):
                created = time.time() - (90 + age) * 86400
                self._new_image(
                    name, "atelier", tag, id=image_id, description=f"Built-in image {name}",
                    size=9_437_184, create_at=_ms(created), update_at=_ms(created),
                    origin="CUSTOMIZE", type="BUILD_IN", service_type="COMMON",
                    visibility="PUBLIC", resource_categories=[category],
                    support_res_categories=[category], show_name=name, show_tag=tag,
                    _created=created,
                )  # fmt: skip
        if not self.notebooks:
            self.add_notebook(DEMO_NOTEBOOK_ID)

    def _new_image(self, name: str, namespace: str, tag: str, **fields: Any) -> dict[str, Any]:
        """Store an image with the fields ModelArts gives one; ``fields`` override them."""
        now = time.time()
        image = {
            "id": str(uuid.uuid4()), "name": name, "namespace": namespace, "tag": tag,
            "description": "", "workspace_id": "0", "status": "ACTIVE", "status_message": "",
            "swr_path": self._swr_path(namespace, name, tag), "size": self.image_size_kb,
            "create_at": _ms(now), "update_at": _ms(now), "arch": "x86_64",
            "origin": "IMAGE_SAVE", "type": "DEDICATED", "service_type": "DEV",
            "visibility": "PRIVATE", "dev_services": ["NOTEBOOK", "SSH"],
            "resource_categories": ["CPU"], "support_res_categories": ["CPU"],
            "_created": now, "_notebook": None, "_fail": None, "_static": False,
        }  # fmt: skip
        image.update(fields)
        self.images[str(image["id"])] = image
        if image["type"] != "BUILD_IN":  # built-in images are in the platform's organization
            self._swr_push(image)
        return image

    def _swr_path(self, namespace: str, name: str, tag: str) -> str:
        return f"swr.{self.region}.myhuaweicloud.com/{namespace}/{name}:{tag}"

    def add_notebook(self, notebook_id: str, status: str = "RUNNING") -> None:
        base = self.images[BUILT_IN_IMAGES[0][0]]
        self.notebooks[notebook_id] = {
            "id": notebook_id,
            "name": "notebook-demo",
            "description": "",
            "status": status,
            "image": {
                key: base[key] for key in ("id", "name", "swr_path", "type", "arch", "description")
            },
            "flavor": "modelarts.vm.cpu.2u",
            "workspace_id": "0",
            "user_id": DEMO_USER_ID,
            "url": f"https://authoring-modelarts-{self.region}.huaweicloud.com/{notebook_id}/lab",
            "lease": new_lease(),
            "_settles_at": None,  # while STOPPING: when it becomes STOPPED
            "_saves": [],  # the images CreateImage is making from it, oldest first
        }

    def reset(self) -> None:
        fresh = EmulatorState(
            project_id=self.project_id, keys=self.keys, init_seconds=self.init_seconds,
            creating_seconds=self.creating_seconds,
        )  # fmt: skip
        self.__dict__.update(fresh.__dict__)

    def clear_requests(self) -> None:
        self.counts.clear()
        self.log.clear()
        self.renewals.clear()

    # -- images ----------------------------------------------------------------------------
    def image_view(self, image: dict[str, Any]) -> dict[str, Any]:
        """What ModelArts answers about an image now: saves move on with time."""
        view = {key: value for key, value in image.items() if not key.startswith("_")}
        if image["status"] not in SAVING_STATUSES or image["_static"]:
            return view
        elapsed = time.time() - image["_created"]
        if elapsed < self.init_seconds:
            view["status"], view["status_message"] = "INIT", "Initializing the image save."
        elif elapsed < self.init_seconds + self.creating_seconds:
            view["status"] = "CREATING"
            view["status_message"] = "Committing the container and pushing layers to SWR."
        elif image["_fail"]:
            view["status"], view["status_message"] = "CREATE_FAILED", image["_fail"]
        else:
            view["status"], view["status_message"] = "ACTIVE", "Image saved."
            view["size"] = self.image_size_kb
        view["update_at"] = _ms(
            min(time.time(), image["_created"] + self.init_seconds + self.creating_seconds)
        )
        return view

    def image(self, image_id: str) -> dict[str, Any]:
        image = self.images.get(image_id)
        if image is None:
            # As the service does: an unknown image is a 400, not a 404.
            raise ServiceError(400, "ModelArts.6404", f"Image {image_id} not found.")
        return image

    def show_image(self, image_id: str) -> dict[str, Any]:
        return self.image_view(self.image(image_id))

    def delete_image(
        self, image_id: str, forms: list[str] | tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """DeleteImage: the ModelArts registration only, or with a force form honoured (see
        ``delete_force_forms``) the image's SWR tag too."""
        view = self.show_image(image_id)
        if view["type"] == "BUILD_IN":
            raise ServiceError(
                400, "ModelArts.6407", f"Image {image_id} is built in and cannot be deleted."
            )
        del self.images[image_id]
        if any(form in self.delete_force_forms for form in forms):
            repo = self.swr_repos.get((view["namespace"], view["name"]))
            if repo is not None:
                repo["tags"].pop(view["tag"], None)
        view["status"] = "DELETED"
        return view

    @staticmethod
    def force_forms(query_force: str | None, body: Any) -> list[str]:
        """The force forms a DeleteImage carries that ask for the SWR content to go: the query
        ``force`` (``true``/``false``) and the body ``{"is_force": bool}``."""
        forms = []
        if query_force is not None:
            if query_force.lower() not in ("true", "false"):
                raise invalid("force must be true or false.")
            if query_force.lower() == "true":
                forms.append("query")
        if body is not None:
            if not isinstance(body, dict):
                raise invalid("the body must be a JSON object.")
            unknown = sorted(str(key) for key in body if key != "is_force")
            if unknown:
                raise invalid(f"unknown field {unknown[0]}.")
            is_force = body.get("is_force")
            if is_force is not None and not isinstance(is_force, bool):
                raise invalid("is_force must be true or false.")
            if is_force:
                forms.append("body")
        return forms

    def create_image(self, notebook_id: str, body: Any) -> dict[str, Any]:
        notebook = self.show_notebook(notebook_id)
        request = self._check_create_body(body)
        self._check_running(notebook["status"])
        name, namespace = request["name"], request["namespace"]
        tag = request.get("tag", "latest")
        duplicates = [
            image_id
            for image_id, image in self.images.items()
            if (image["namespace"], image["name"], image["tag"]) == (namespace, name, tag)
        ]
        if duplicates and self.duplicate_tag != "overwrite":
            raise ServiceError(
                400,
                "ModelArts.6737",
                f"Conflict tag {tag} for image {name}, tag cannot be duplicated",
            )
        for image_id in duplicates:  # with the switch: the new save replaces the old
            del self.images[image_id]
        image = self._new_image(
            name, namespace, tag, description=request.get("description", ""),
            workspace_id=request.get("workspace_id", "0"), status="INIT", size=0,
            _notebook=notebook_id, _fail=self.fail_next_save,
        )  # fmt: skip
        self.notebooks[notebook_id]["_saves"].append(image)
        if request.get("swr_instance_id"):
            image["swr_instance_id"] = request["swr_instance_id"]
        self.fail_next_save = None
        return self.image_view(image)

    def seed_image(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Put an image in place as if another save had made it (a test's control route):
        ``name`` and ``namespace``, and any of the image's fields (``tag``, ``status``,
        ``create_at`` in ms, ``origin`` (CUSTOMIZE unless given), ``type``, ``description``...).
        Its status stays as given unless ``progress`` is true: then an INIT or CREATING image
        walks on to ACTIVE as a save does. Its SWR tag is in place too."""
        return self.image_view(self._seeded(self._check_seed(fields)))

    def seed_images(self, items: list[Any]) -> list[dict[str, Any]]:
        """Seed many at once: every item is checked before any is put in place."""
        checked = []
        for index, item in enumerate(items):
            try:
                checked.append(self._check_seed(item))
            except ValueError as error:
                raise ValueError(f"Image {index}: {error}") from None
        return [self.image_view(self._seeded(given)) for given in checked]

    @staticmethod
    def _check_seed(fields: Any) -> dict[str, Any]:
        if not isinstance(fields, dict) or not {"name", "namespace"} <= set(fields):
            raise ValueError("Give at least name and namespace.")
        given = {key: value for key, value in fields.items() if not key.startswith("_")}
        for key in ("name", "namespace", "tag", "status", "origin", "type", "description"):
            if key in given and not isinstance(given[key], str):
                raise ValueError(f"{key} must be a string.")
        for key in ("create_at", "update_at", "size"):
            if key in given and not _is_int(given[key]):
                raise ValueError(f"{key} must be an integer.")
        if "progress" in given and not isinstance(given["progress"], bool):
            raise ValueError("progress must be true or false.")
        return given

    def _seeded(self, given: dict[str, Any]) -> dict[str, Any]:
        given = dict(given)
        name, namespace = given.pop("name"), given.pop("namespace")
        progress = given.pop("progress", False)
        given.setdefault("origin", "CUSTOMIZE")
        if "create_at" in given:
            given.setdefault("update_at", given["create_at"])
        return self._new_image(
            name, namespace, given.pop("tag", "latest"), _static=not progress, **given
        )

    @staticmethod
    def _check_create_body(body: Any) -> dict[str, str]:
        if not isinstance(body, dict):
            raise invalid("the body must be a JSON object.")
        unknown = sorted(str(key) for key in body if key not in CREATE_FIELDS)
        if unknown:
            raise invalid(f"unknown field {unknown[0]}.")
        request = {key: value for key, value in body.items() if value is not None}
        for key, value in request.items():
            if not isinstance(value, str):
                raise invalid(f"{key} must be a string.")
        for key, rule in (("name", IMAGE_NAME), ("namespace", NAMESPACE)):
            if not rule.fullmatch(request.get(key, "")):
                raise invalid(f"{key} is missing or does not match {rule.pattern}.")
        if "tag" in request and not TAG.fullmatch(request["tag"]):
            raise invalid(f"tag does not match {TAG.pattern}.")
        if "workspace_id" in request and not WORKSPACE_ID.fullmatch(request["workspace_id"]):
            raise invalid("workspace_id must be 0 or 32 lowercase letters and digits.")
        if len(request.get("description", "")) > DESCRIPTION_MAX:
            raise invalid(f"description is longer than {DESCRIPTION_MAX} characters.")
        return request

    def list_images(self, query: dict[str, str]) -> dict[str, Any]:
        """ListImage with the service's defaults: built-in images only, fuzzy names."""
        image_type = query.get("type", "BUILD_IN")
        if image_type not in IMAGE_TYPES:
            raise invalid(f"type must be one of {', '.join(IMAGE_TYPES)}.")
        fuzzy = query.get("name_fuzzy_match", "true").lower()
        if fuzzy not in ("true", "false"):
            raise invalid("name_fuzzy_match must be true or false.")
        sort_dir = query.get("sort_dir", "DESC").upper()
        if sort_dir not in ("ASC", "DESC"):
            raise invalid("sort_dir must be ASC or DESC.")
        sort_keys = [key for key in query.get("sort_key", "create_at").split(",") if key]
        if not sort_keys or any(key not in SORT_KEYS for key in sort_keys):
            raise invalid(f"sort_key must be among {', '.join(SORT_KEYS)}.")
        try:
            limit = int(query.get("limit", "200"))
            offset = int(query.get("offset", "0"))
        except ValueError:
            raise invalid("limit and offset must be integers.") from None
        if limit < 1 or offset < 0:
            raise invalid("limit must be positive and offset not negative.")
        workspace = query.get("workspace_id", "0")
        name = query.get("name")
        namespace, service_type = query.get("namespace"), query.get("service_type")
        # Filtered on the stored fields, which time does not change; only the page is viewed.
        images = [
            image
            for image in self.images.values()
            if image["type"] == image_type
            and image["workspace_id"] == workspace
            and (not namespace or image["namespace"] == namespace)
            and (not service_type or image["service_type"] == service_type)
            and (not name or (name in image["name"] if fuzzy == "true" else name == image["name"]))
        ]
        # Status, update time and size move while a save runs: those images are viewed.
        moving = {"status", "update_at", "size"} & set(sort_keys)

        def order(image: dict[str, Any]) -> list[Any]:
            shown = (
                self.image_view(image) if moving and image["status"] in SAVING_STATUSES else image
            )
            return [shown[key] for key in sort_keys] + [image["id"]]  # the same order each time

        images.sort(key=order, reverse=sort_dir == "DESC")
        # ListImage's items (the SDK's ImageResponse) lack ShowImage's support_res_categories.
        page = [
            {key: value for key, value in self.image_view(image).items()
             if key != "support_res_categories"}
            for image in images[offset : offset + limit]
        ]  # fmt: skip
        return {
            "current": offset // limit + 1,  # pages count from 1
            "data": page,
            "pages": -(-len(images) // limit),
            "size": len(page),
            "total": len(images),
        }

    # -- SWR ----------------------------------------------------------------------------------
    def _swr_push(self, image: dict[str, Any]) -> None:
        """The image's SWR tag ``namespace/name:tag``, in place once its save has ended."""
        namespace, repository = str(image["namespace"]), str(image["name"])
        self.swr_namespaces.add(namespace)
        repo = self.swr_repos.get((namespace, repository))
        if repo is None:
            self._swr_ids["repo"] += 1
            repo = {"id": self._swr_ids["repo"], "namespace": namespace, "name": repository,
                    "tags": {}}  # fmt: skip
            self.swr_repos[(namespace, repository)] = repo
        self._swr_ids["tag"] += 1
        config = hashlib.sha256(f"{image['id']}:{self._swr_ids['tag']}".encode()).hexdigest()
        repo["tags"][str(image["tag"])] = {
            "id": self._swr_ids["tag"], "image_id": config,
            "digest": "sha256:" + hashlib.sha256(config.encode()).hexdigest(), "_image": image,
        }  # fmt: skip

    def _swr_tag_view(self, repo: dict[str, Any], tag: str) -> dict[str, Any] | None:
        """A tag as ListRepositoryTags gives it (the SDK's ShowReposTagResp); None while the
        image's save has not ended, or after it failed."""
        record = repo["tags"][tag]
        image = self.image_view(record["_image"])
        if image["status"] in SWR_HIDDEN_STATUSES:
            return None
        size = int(image["size"]) * 1024  # ModelArts gives KB, SWR bytes
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                       "size": 1862, "digest": "sha256:" + record["image_id"]},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                        "size": size, "digest": record["digest"]}],
        }  # fmt: skip
        reference = f"{repo['namespace']}/{repo['name']}:{tag}"
        pushed = _utc(int(image["update_at"]))
        return {
            "id": record["id"], "repo_id": repo["id"], "Tag": tag,
            "image_id": record["image_id"], "manifest": json.dumps(manifest),
            "digest": record["digest"], "schema": 2,
            "path": f"swr.{self.region}.myhuaweicloud.com/{reference}",
            "internal_path": f"10.125.0.198:20202/{reference}", "size": size,
            "is_trusted": False, "created": pushed, "updated": pushed, "deleted": None,
            "domain_id": DEMO_DOMAIN_ID, "scanned": False, "tag_type": 0,
        }  # fmt: skip

    def _swr_repo(self, namespace: str, repository: str) -> dict[str, Any]:
        if namespace not in self.swr_namespaces:
            raise SwrError(
                404, "SVCSTG.SWR.4040058", f"The organization was not found: {namespace}."
            )
        repo = self.swr_repos.get((namespace, repository))
        if repo is None:
            raise SwrError(
                404, "SVCSTG.SWR.4040010", f"The image was not found: {namespace}/{repository}."
            )
        return repo

    @staticmethod
    def _swr_query(query: dict[str, str]) -> dict[str, str]:
        """The query, with ``filter=offset::0|limit::100|order_column::..|order_type::..|tag::..``
        read into it (the SDK's other way to give them)."""
        given = {key: value for key, value in query.items() if key != "filter"}
        for part in filter(None, query.get("filter", "").split("|")):
            key, separator, value = part.partition("::")
            if not separator or key not in ("offset", "limit", "order_column", "order_type", "tag"):
                raise swr_invalid(f"filter has {part!r}.")
            given[key] = value
        return given

    def list_repository_tags(
        self, namespace: str, repository: str, query: dict[str, str]
    ) -> tuple[list[dict[str, Any]], str]:
        """ListRepositoryTags: the tags and the ``Content-Range`` (offset-count/total). Without
        offset and limit, every tag; with either, ``limit`` (100, at most 1,000) from
        ``offset``. Newest update first unless ``order_column``/``order_type`` say otherwise;
        ``tag`` keeps the tags whose name contains it."""
        given = self._swr_query(query)
        paged = "offset" in given or "limit" in given
        try:
            offset = int(given.get("offset", "0"))
            limit = int(given.get("limit", str(SWR_LIMIT_DEFAULT)))
        except ValueError:
            raise swr_invalid("offset and limit must be integers.") from None
        if offset < 0:
            raise swr_invalid("offset must be 0 or a positive number.")
        if paged and not 1 <= limit <= SWR_LIMIT_MAX:
            raise SwrError(
                400, "SVCSTG.SWR.4000056", f"Invalid page size: limit is 1 to {SWR_LIMIT_MAX}."
            )
        column = given.get("order_column", "updated_at")
        if column not in SWR_ORDER_COLUMNS:
            raise swr_invalid(f"order_column must be one of {', '.join(SWR_ORDER_COLUMNS)}.")
        direction = given.get("order_type", "desc")
        if direction not in ("desc", "asc"):
            raise swr_invalid("order_type must be desc or asc.")
        repo = self._swr_repo(namespace, repository)
        wanted = given.get("tag")
        tags = [
            view
            for tag in repo["tags"]
            if not wanted or wanted in tag
            if (view := self._swr_tag_view(repo, tag)) is not None
        ]
        field_name = "updated" if column == "updated_at" else "Tag"
        tags.sort(key=lambda view: (view[field_name], view["id"]), reverse=direction == "desc")
        page = tags[offset : offset + limit] if paged else tags[offset:]
        return page, f"{offset}-{len(page)}/{len(tags)}"

    def delete_repo_tag(self, namespace: str, repository: str, tag: str) -> None:
        """DeleteRepoTag: the tag goes from SWR; a ModelArts image of it stays registered."""
        repo = self._swr_repo(namespace, repository)
        if tag not in repo["tags"] or self._swr_tag_view(repo, tag) is None:
            raise SwrError(
                404, "SVCSTG.SWR.4040048",
                f"The image tag was not found: {namespace}/{repository}:{tag}.",
            )  # fmt: skip
        del repo["tags"][tag]

    def swr_quotas(self) -> dict[str, Any]:
        """SWR's quotas (the SDK's ListQuotasResponse): organizations, 15 an account."""
        return {
            "quotas": [
                {"quota_limit": SWR_NAMESPACE_QUOTA, "quota_key": "namespace", "unit": "",
                 "used": len(self.swr_namespaces)},
            ]
        }  # fmt: skip

    # -- notebooks --------------------------------------------------------------------------
    def notebook(self, notebook_id: str) -> dict[str, Any]:
        """The stored notebook, its status moved on with time (STOPPING becomes STOPPED)."""
        notebook = self.notebooks.get(notebook_id)
        if notebook is None:
            raise ServiceError(400, "ModelArts.6309", f"The instance {notebook_id} does not exist.")
        settles_at = notebook.get("_settles_at")
        if settles_at is not None and time.time() >= settles_at:
            notebook["status"], notebook["_settles_at"] = "STOPPED", None
        return notebook

    def set_notebook_status(self, notebook_id: str, status: str) -> None:
        notebook = self.notebook(notebook_id)
        notebook["status"], notebook["_settles_at"] = status, None

    def _settle_saves(self, notebook: dict[str, Any]) -> list[dict[str, Any]]:
        """The notebook's saves still under way. One that has reached ACTIVE becomes the
        notebook's image (unless ``repoint_after_save`` is off when it is first seen ACTIVE);
        a failed or deleted one leaves it as it was."""
        pending: list[dict[str, Any]] = []
        saves: list[dict[str, Any]] = notebook["_saves"]
        for image in saves:
            if id(self.images.get(image["id"])) != id(image):
                continue  # deleted (or replaced by an overwriting save)
            view = self.image_view(image)
            if view["status"] in SAVING_STATUSES:
                pending.append(image)
            elif view["status"] == "ACTIVE" and self.repoint_after_save:
                notebook["image"] = {key: view[key] for key in NOTEBOOK_IMAGE_FIELDS}
        notebook["_saves"] = pending
        return pending

    def show_notebook(self, notebook_id: str) -> dict[str, Any]:
        stored = self.notebook(notebook_id)
        saving = self._settle_saves(stored)
        notebook = {key: value for key, value in stored.items() if not key.startswith("_")}
        notebook["lease"] = dict(stored["lease"])
        notebook["image"] = dict(stored["image"])
        if saving and notebook["status"] == "RUNNING":
            notebook["status"] = "SNAPSHOTTING"
        return notebook

    @staticmethod
    def _check_running(status: str) -> None:
        if status in BUSY_STATUSES:
            raise busy(status)
        if status != "RUNNING":
            raise not_running(status)

    def stop_notebook(self, notebook_id: str) -> dict[str, Any]:
        """StopNotebook: RUNNING (or failed) to STOPPED, through STOPPING if so configured."""
        status = self.show_notebook(notebook_id)["status"]
        # Already stopped or stopping is refused as "another operation" too; the Terraform
        # provider reads 6357 on a stop as "already stopped".
        if status == "STOPPED" or status in BUSY_STATUSES:
            raise busy(status)
        notebook = self.notebooks[notebook_id]
        if self.stopping_seconds > 0:
            notebook["status"] = "STOPPING"
            notebook["_settles_at"] = time.time() + self.stopping_seconds
        else:
            notebook["status"], notebook["_settles_at"] = "STOPPED", None
        return self.show_notebook(notebook_id)

    def start_notebook(
        self, notebook_id: str, duration: str | None, kind: str | None
    ) -> dict[str, Any]:
        """StartNotebook ``?duration=&type=``: RUNNING with a fresh lease; -1 keeps the default."""
        status = self.show_notebook(notebook_id)["status"]
        lease_type = kind or "TIMING"
        if lease_type not in LEASE_TYPES:
            raise invalid(f"type must be one of {', '.join(LEASE_TYPES)}.")
        lease_ms = DEFAULT_LEASE_MS
        if duration not in (None, "", "-1"):
            lease_ms = self._lease_duration(duration)
        if status == "RUNNING" or status in BUSY_STATUSES:
            raise busy(status)
        notebook = self.notebooks[notebook_id]
        notebook["status"], notebook["_settles_at"] = "RUNNING", None
        notebook["lease"] = new_lease(lease_ms, lease_type)
        return self.show_notebook(notebook_id)

    # -- the lease ----------------------------------------------------------------------------
    def show_lease(self, notebook_id: str) -> dict[str, Any]:
        return dict(self.notebook(notebook_id)["lease"])

    @staticmethod
    def _lease_duration(value: Any) -> int:
        """A duration in ms as RenewLease accepts it: an integer from 1 to 72 hours."""
        value = _int_or_text(value) if isinstance(value, str) else value
        if not _is_int(value) or not LEASE_MIN_MS <= value <= LEASE_MAX_MS:
            raise ServiceError(
                400,
                "ModelArts.6349",
                f"The duration {value!r} is out of range: give {LEASE_MIN_MS} to {LEASE_MAX_MS} ms.",
            )
        return int(value)

    def renew_lease(
        self, notebook_id: str, body: Any, query_duration: str | None
    ) -> dict[str, Any]:
        """RenewLease: stop ``duration`` ms from now. A query ``duration`` overrides the body's
        and forces TIMING (the Terraform provider sends only the query)."""
        self.notebook(notebook_id)  # 6309 before anything else
        if body is not None and not isinstance(body, dict):
            raise invalid("the body must be a JSON object.")
        body = body or {}
        unknown = sorted(str(key) for key in body if key not in ("duration", "type"))
        if unknown:
            raise invalid(f"unknown field {unknown[0]}.")
        source, received = None, None
        if query_duration:
            source, received = "query", _int_or_text(query_duration)
        elif body.get("duration") is not None:
            source, received = "body", body["duration"]
        renewal = {
            "notebook_id": notebook_id, "source": source, "duration": received,
            "type": body.get("type"), "at": time.time(), "error_code": None,
        }  # fmt: skip
        self.renewals.append(renewal)
        try:
            lease = self._renewed(notebook_id, received, body.get("type"), source)
        except ServiceError as error:
            renewal["error_code"] = error.error_code
            raise
        return lease

    def _renewed(
        self, notebook_id: str, duration: Any, kind: Any, source: str | None
    ) -> dict[str, Any]:
        if source is None:
            raise ServiceError(400, "ModelArts.6348", "The duration is missing.")
        duration = self._lease_duration(duration)
        lease_type = "TIMING" if source == "query" else kind or "TIMING"
        if lease_type not in LEASE_TYPES:
            raise invalid(f"type must be one of {', '.join(LEASE_TYPES)}.")
        self._check_running(self.show_notebook(notebook_id)["status"])
        now = _ms(time.time())
        if now + duration <= now:  # counted from now: unreachable with a duration in range
            raise ServiceError(400, "ModelArts.6346", "The auto-stop time must be later than now.")
        lease = self.notebooks[notebook_id]["lease"]
        # As the API reference's example shows: create_at stays, update_at moves.
        lease.update(update_at=now, duration=duration, type=lease_type, enable=True)
        return dict(lease)

    def set_lease(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Set a notebook's lease as a test needs it (a control route). ``stops_in_seconds``
        puts the stop that many seconds from now, whichever of create_at and update_at the
        stop is counted from."""
        given = dict(fields)
        notebook_id = given.pop("notebook_id", DEMO_NOTEBOOK_ID)
        if notebook_id not in self.notebooks:
            raise ValueError(f"No notebook {notebook_id!r}.")
        unknown = sorted(
            str(key) for key in given if key not in (*LEASE_FIELDS, "stops_in_seconds")
        )
        if unknown:
            raise ValueError(f"Unknown lease field {unknown[0]!r}.")
        for key in ("create_at", "update_at", "duration"):
            if key in given and not _is_int(given[key]):
                raise ValueError(f"{key} must be an integer (ms).")
        if "enable" in given and not isinstance(given["enable"], bool):
            raise ValueError("enable must be true or false.")
        if "type" in given and not isinstance(given["type"], str):
            raise ValueError("type must be a string.")
        if "stops_in_seconds" in given:
            seconds = given.pop("stops_in_seconds")
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
                raise ValueError("stops_in_seconds must be a number.")
            if {"create_at", "update_at", "duration"} & set(given):
                raise ValueError("stops_in_seconds sets create_at, update_at and duration.")
            now = _ms(time.time())
            given.update(create_at=now, update_at=now, duration=round(seconds * 1000))
        lease = self.notebooks[notebook_id]["lease"]
        lease.update(given)
        return dict(lease)

    # -- credentials --------------------------------------------------------------------------
    def issue_token(self) -> tuple[str, float]:
        token = "MII" + secrets.token_urlsafe(48)
        expires = time.time() + self.token_ttl
        self.tokens[token] = expires
        return token, expires

    def issue_temporary_keys(self) -> tuple[str, str, str, float]:
        access = "TEMP" + secrets.token_hex(8).upper()
        secret = secrets.token_urlsafe(24)
        token = secrets.token_urlsafe(64)
        expires = time.time() + self.temp_credentials_ttl
        self.temporary_keys[access] = (secret, token, expires)
        return access, secret, token, expires
