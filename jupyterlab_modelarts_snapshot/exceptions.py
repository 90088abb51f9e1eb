"""Every error a save can end in, what its answer carries, and one table that maps each to its
HTTP status (the REST API) and its exit code (the CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .i18n import _


class SnapshotError(Exception):
    """An error a person can act on: ``message`` says what was wrong and how to fix it."""

    message: str = _("The save could not be done.")

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message

    def body(self) -> dict[str, Any]:
        """The JSON answer (REST API) or the ``--json`` output (CLI) for this error."""
        return {"message": self.message}


class InvalidInput(SnapshotError, ValueError):
    """A request field that breaks a rule; ``field`` names it for the form."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "field": self.field}


class RequestTooLarge(SnapshotError):
    pass


class UnknownJob(SnapshotError):
    pass


class UnknownImage(SnapshotError):
    """No saved image with that ID in the organization asked for."""


class DeleteRefused(SnapshotError):
    """The library will not delete this image: ``reason`` is ``runs-now``, ``starts-next``,
    ``creating``, ``other-organization`` or ``list-changed``; nothing was sent to delete it."""

    def __init__(self, reason: str, message: str, image_id: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.image_id = image_id

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "reason": self.reason, "id": self.image_id}


class NoRoom(SnapshotError):
    """The state directory has too little free space to keep the save's records: refused
    before create-image, so that no image is made that could not be followed."""


class NoReport(SnapshotError):
    pass


class CheckBlocked(SnapshotError):
    """A pre-flight check refuses the save: ``check`` is its id, ``field`` the form field to fix
    (the tag), when there is one."""

    def __init__(self, check: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.check = check
        self.field = field

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "field": self.field, "check": self.check}


class NotReady(SnapshotError):
    """The server cannot save yet: ``problems`` lists what is missing, each with its fix."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            _("This server cannot save an image yet. {problems}", problems=list(problems))
        )
        self.problems = problems

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "problems": self.problems}


class SaveInProgress(SnapshotError):
    """A save from this instance is unfinished; ``job`` is it, when it is known."""

    def __init__(self, job: dict[str, Any] | None, message: str | None = None) -> None:
        if message is None and job:
            message = _(
                "A save from this instance is not finished yet: image '{label}' is {status}. "
                "Wait until it ends, then save again.",
                label=job["name"] + ":" + job["tag"],
                status=job["status"],
            )
        elif message is None:
            message = _(
                "Another save from this instance is being started right now. Try again in a moment."
            )
        super().__init__(message)
        self.job = job

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "job": self.job}


class UpstreamError(SnapshotError):
    """Anything that kept a ModelArts call from giving an answer we can use."""

    message = _("ModelArts could not be reached.")
    # ModelArts' X-Request-Id for the failed call, when it answered: Huawei support asks for it.
    request_id: str | None = None
    status: int | None = None
    error_code: str | None = None
    error_msg: str | None = None

    def body(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "upstream_status": self.status,
            "error_code": self.error_code,
            "error_msg": self.error_msg,
            "request_id": self.request_id,
        }


class ModelArtsError(UpstreamError):
    """ModelArts answered with an error: its HTTP status, ``error_code`` and ``error_msg``."""

    def __init__(
        self,
        status: int,
        error_code: str | None,
        error_msg: str | None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            _(
                "ModelArts refused the request (HTTP {status}{code}): {reason}",
                status=status,
                code=" " + error_code if error_code else "",
                reason=error_msg or _("no reason given"),
            )
        )
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg
        self.request_id = request_id

    @property
    def image_gone(self) -> bool:
        """ModelArts says the image does not exist (400 + ModelArts.6404, or a plain 404)."""
        return self.status == 404 or (self.status == 400 and self.error_code == "ModelArts.6404")

    @property
    def notebook_gone(self) -> bool:
        """ModelArts says the notebook instance does not exist (as Terraform's provider reads it)."""
        return self.status == 404 or (
            self.status == 400
            and self.error_code in ("ModelArts.6309", "ModelArts.6357", "ModelArts.6404")
        )


# RenewLease's and Stop's refusals (the API reference's error table), in words.
LEASE_REFUSALS = {
    "ModelArts.6327": _("The instance is not running, so its auto-stop cannot be changed."),
    "ModelArts.6346": _("The new auto-stop time must be later than now."),
    "ModelArts.6348": _("ModelArts received no duration for the auto-stop."),
    "ModelArts.6349": _("ModelArts accepts an auto-stop from 1 to 72 hours from now."),
    "ModelArts.6357": _(
        "Another operation is in progress on the instance (a save, a start or a stop): "
        "try again when it ends."
    ),
}


class LeaseRefused(ModelArtsError):
    """ModelArts refused to change the lease or to stop, for a reason the user can act on."""

    def __init__(self, error: ModelArtsError) -> None:
        super().__init__(error.status or 400, error.error_code, error.error_msg, error.request_id)
        self.message = _(
            "{words} (ModelArts {code})",
            words=LEASE_REFUSALS[error.error_code or ""],
            code=error.error_code or "",
        )

    @staticmethod
    def explains(error: ModelArtsError) -> bool:
        return error.status == 400 and error.error_code in LEASE_REFUSALS


class CredentialsRejected(ModelArtsError):
    """ModelArts refused the credentials, even after they were looked up again."""

    def __init__(
        self,
        status: int,
        error_code: str | None,
        error_msg: str | None,
        source: str | None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(status, error_code, error_msg, request_id)
        self.message = _(
            "ModelArts did not accept the credentials from {source} (HTTP {status} {code}). "
            "Check that the access key, secret key or token are current and allowed to use "
            "ModelArts in this project and region.",
            source=source or _("the environment"),
            status=status,
            code=error_code or "",
        )


class UpstreamTimeout(UpstreamError):
    message = _("ModelArts did not answer in time.")


class UpstreamUnreachable(UpstreamError):
    message = _("ModelArts could not be reached: check the endpoint and the network.")


class NoCredentials(UpstreamError):
    message = _("No ModelArts credentials were found.")


@dataclass(frozen=True)
class Outcome:
    http_status: int
    exit_code: int


# CLI exit codes that are not errors: the save was accepted or ended well, or it ended failed.
EXIT_OK = 0
EXIT_SAVE_FAILED = 1

# The one table: each error's HTTP status and CLI exit code. A subclass takes its parent's row.
OUTCOMES: dict[type[SnapshotError], Outcome] = {
    InvalidInput: Outcome(400, 2),
    RequestTooLarge: Outcome(413, 2),
    NotReady: Outcome(412, 3),
    SaveInProgress: Outcome(409, 4),
    UpstreamError: Outcome(502, 5),
    UpstreamTimeout: Outcome(504, 6),
    UpstreamUnreachable: Outcome(504, 6),
    UnknownJob: Outcome(404, 7),
    UnknownImage: Outcome(404, 7),
    DeleteRefused: Outcome(409, 11),
    NoReport: Outcome(404, 7),
    CheckBlocked: Outcome(409, 8),
    NoRoom: Outcome(507, 9),
    LeaseRefused: Outcome(409, 10),
}


def outcome(error: SnapshotError) -> Outcome:
    for cls in type(error).__mro__:
        if cls in OUTCOMES:
            return OUTCOMES[cls]
    raise LookupError(f"{type(error).__name__} has no outcome")  # a bug: every error has a row
