"""The auto-stop: when ModelArts will stop this instance (its lease), what the stop would erase,
and extending it.

One read of ShowLease serves every page and transport for ``lease_refresh_seconds``; pages count
down from the stop time it gives. The lease is read again after an extension, when the warning
time comes (the console may have moved the stop), and when the stop time has passed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any

from .client import ModelArtsClient
from .config import ModelArtsSnapshot
from .exceptions import InvalidInput, LeaseRefused, ModelArtsError, NotReady, UpstreamError
from .i18n import Text, _
from .identity import Identity
from .manifest import changes
from .models import AtRisk, LastError, Lease, LeaseWarning, iso, iso_now
from .records import ManifestRecords, read_json, write_json
from .store import JobStore

log = logging.getLogger(__name__)

# RenewLease's range, in hours (3,600,000 to 259,200,000 ms).
MIN_HOURS, MAX_HOURS = 1, 72
# After a failed read, ask again this soon rather than at the full interval.
RETRY_SECONDS = 30.0
# How long what the stop would erase is reused: collecting the manifest reads every package.
AT_RISK_SECONDS = 60.0
MANAGERS = ("pip", "conda", "apt")


def _count_words(manager: str, count: int) -> Text:
    one = {
        "pip": _("1 pip package"),
        "conda": _("1 conda package"),
        "apt": _("1 apt package"),
    }
    many = {
        "pip": _("{count} pip packages", count=count),
        "conda": _("{count} conda packages", count=count),
        "apt": _("{count} apt packages", count=count),
    }
    return one[manager] if count == 1 else many[manager]


def at_risk_message(at_risk: AtRisk) -> Text | None:
    """'14 pip packages and 2 apt packages installed since the last save would be lost', or
    None when nothing was installed."""
    parts = [
        _count_words(manager, getattr(at_risk, manager))
        for manager in MANAGERS
        if getattr(at_risk, manager)
    ]
    if not parts:
        return None
    if len(parts) == 1:
        packages = parts[0]
    elif len(parts) == 2:
        packages = _("{first} and {second}", first=parts[0], second=parts[1])
    else:
        packages = _(
            "{first}, {second} and {third}", first=parts[0], second=parts[1], third=parts[2]
        )
    if at_risk.since == "save":
        return _("{packages} installed since the last save would be lost.", packages=packages)
    return _("{packages} installed since the instance started would be lost.", packages=packages)


def check_hours(value: Any) -> int:
    """The hours of an extension: a whole number within RenewLease's range."""
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_HOURS <= value <= MAX_HOURS:
        raise InvalidInput(
            "hours",
            _(
                "'hours' must be a whole number of hours from {low} to {high} (the range "
                "ModelArts accepts), not {value}. Nothing was sent to ModelArts.",
                low=MIN_HOURS,
                high=MAX_HOURS,
                value=json.dumps(value)[:20],
            ),
        )
    return value


class LeaseWatch:
    """The lease as last read, shared by every page and transport of this process."""

    def __init__(
        self,
        settings: ModelArtsSnapshot,
        client: ModelArtsClient,
        identity: Identity,
        records: ManifestRecords,
        store: JobStore,
    ) -> None:
        self.settings = settings
        self.client = client
        self.identity = identity
        self.records = records
        self.store = store
        self._lease: dict[str, Any] | None = None
        self._read_at: float | None = None  # time.time() of the last answer
        self._asked_at: float | None = None  # time.time() of the last read, answered or not
        self._generation = 0  # moves on with each extension: a read begun before it is stale
        self._next_read = 0.0  # time.monotonic() from which the lease is read again
        self._error: LastError | None = None
        self._reading: asyncio.Task[None] | None = None
        self._at_risk: tuple[float, AtRisk] | None = None
        self._delivered_file = Path(settings.state_dir) / "lease-warning.json"

    # -- reading -----------------------------------------------------------------------------
    async def status(self) -> Lease:
        if self._due():
            await self._read()
        return await self._status()

    def _due(self) -> bool:
        if time.monotonic() >= self._next_read:
            return True
        stop = self._stop_at()
        if stop is None or self._asked_at is None:
            return False
        # Once when the warning time comes, and once the stop time has passed: the console may
        # have moved the stop since the last read.
        warn_at = stop - self.settings.warn_before_stop_minutes * 60
        now = time.time()
        return (self._asked_at < warn_at <= now) or (self._asked_at < stop <= now)

    async def _read(self) -> None:
        # Concurrent requests share one read.
        if self._reading is None or self._reading.done():
            self._reading = asyncio.get_running_loop().create_task(self._ask())
        await asyncio.shield(self._reading)

    async def _ask(self) -> None:
        info = await self.identity.readiness()
        if not info.ready:
            raise NotReady(info.problems)
        assert self.identity.notebook_id is not None
        generation = self._generation
        self._asked_at = time.time()
        try:
            lease = await self.client.show_lease(self.identity.notebook_id)
        except UpstreamError as error:
            self._error = LastError(
                message=error.message, at=iso_now(), request_id=error.request_id
            )
            self._next_read = time.monotonic() + min(
                RETRY_SECONDS, self.settings.lease_refresh_seconds
            )
            if self._lease is None:
                raise
            log.warning("The auto-stop lease could not be read again: %s", error)
            return
        if generation == self._generation:  # else an extension answered meanwhile: it is newer
            self._keep(lease)

    def _keep(self, lease: dict[str, Any]) -> None:
        self._lease = lease if isinstance(lease, dict) else {}
        self._read_at = time.time()
        self._error = None
        self._next_read = time.monotonic() + self.settings.lease_refresh_seconds

    def _number(self, key: str) -> int | None:
        value = (self._lease or {}).get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def _enabled(self) -> bool:
        return (self._lease or {}).get("enable") is True and (self._number("duration") or 0) > 0

    def _stop_at(self) -> float | None:
        """Epoch seconds of the stop, counted from the configured lease time."""
        if not self._enabled():
            return None
        start = self._number(self.settings.lease_stop_basis) or self._number("create_at")
        duration = self._number("duration")
        if start is None or duration is None:
            return None
        return (start + duration) / 1000

    async def _status(self) -> Lease:
        lease = self._lease or {}
        stop = self._stop_at()
        minutes = self.settings.warn_before_stop_minutes
        warn_at = stop - minutes * 60 if stop is not None and minutes > 0 else None
        warning = None
        if stop is not None and warn_at is not None and time.time() >= warn_at:
            warning = await self._warning(stop)
        kind = lease.get("type")
        return Lease(
            enabled=stop is not None,
            type=kind if isinstance(kind, str) else None,
            stop_at=iso(stop) if stop is not None else None,
            # IDLE counts from the last activity, which only ModelArts sees; two readings that
            # differ mean the documented rule and the renewal's may disagree.
            estimate=stop is not None
            and (kind != "TIMING" or self._number("create_at") != self._number("update_at")),
            duration_ms=self._number("duration"),
            warn_at=iso(warn_at) if warn_at is not None else None,
            warn_before_stop_minutes=minutes,
            server_time=iso_now(),
            checked_at=iso(self._read_at) if self._read_at is not None else None,
            refresh_seconds=round(self.settings.lease_refresh_seconds),
            warning=warning,
            last_error=self._error,
        )

    # -- the warning -------------------------------------------------------------------------
    async def _warning(self, stop: float) -> LeaseWarning:
        at_risk = await self.at_risk()
        delivered = read_json(self._delivered_file)
        return LeaseWarning(
            stop_at=iso(stop),
            message=at_risk_message(at_risk) if at_risk else None,
            at_risk=at_risk,
            delivered=isinstance(delivered, dict) and delivered.get("stop_at") == iso(stop),
        )

    async def at_risk(self) -> AtRisk | None:
        """What a stop would erase now (reused for a minute); None when it cannot be told."""
        if self._at_risk is not None and time.monotonic() - self._at_risk[0] < AT_RISK_SECONDS:
            return self._at_risk[1]
        try:
            await self.records.start_once()
            found = await asyncio.to_thread(self._count_at_risk)
        except Exception:  # the warning goes on without the count
            log.exception("What the stop would erase could not be counted")
            return None
        self._at_risk = (time.monotonic(), found)
        return found

    def _count_at_risk(self) -> AtRisk:
        """Packages installed or upgraded since the last save of this container, or since it
        started: what the next start, from the notebook's image, would not have."""
        image = self.identity.running_image
        saved = self.store.latest_saved(
            self.identity.notebook_id or "", iso(self.settings.changes_since)
        )
        record = self.records.of_image(saved.id) if saved else None
        if record is not None:
            diff = changes(record["manifest"], self.records.collect(image), "save")
            since = "save"
        else:
            diff = self.records.now(image)["changes"]
            since = "start"
        counts = {
            manager: len(diff[manager]["added"]) + len(diff[manager]["changed"])
            for manager in MANAGERS
        }
        return AtRisk(**counts, since=since)

    async def warning_shown(self, body: Any) -> Lease:
        """A page showed the warning for this stop time: a page opened later does not."""
        stop_at = body.get("stop_at") if isinstance(body, dict) else None
        status = await self._status()
        if (
            not isinstance(stop_at, str)
            or status.warning is None
            or stop_at != status.warning.stop_at
        ):
            raise InvalidInput(
                "stop_at",
                _(
                    "'stop_at' must be the stop time of the current warning ({stop_at}); "
                    "read GET lease again.",
                    stop_at=status.warning.stop_at if status.warning else _("none"),
                ),
            )
        await asyncio.to_thread(write_json, self._delivered_file, {"stop_at": stop_at})
        return await self._status()

    # -- extending ---------------------------------------------------------------------------
    async def extend(self, body: Any) -> Lease:
        """RenewLease: the instance stops ``hours`` from now."""
        unknown = (
            sorted(str(key) for key in body if key != "hours") if isinstance(body, dict) else []
        )
        if unknown:
            raise InvalidInput(
                unknown[0],
                _(
                    "Unknown field '{field}': the body of POST lease is {{\"hours\": N}}.",
                    field=unknown[0][:40],
                ),
            )
        hours = check_hours(body.get("hours") if isinstance(body, dict) else None)
        info = await self.identity.readiness()
        if not info.ready:
            raise NotReady(info.problems)
        assert self.identity.notebook_id is not None
        kind = (self._lease or {}).get("type")
        try:
            lease = await self.client.renew_lease(
                self.identity.notebook_id,
                hours * 3_600_000,
                kind if kind in ("TIMING", "IDLE") else "TIMING",
            )
        except ModelArtsError as error:
            if LeaseRefused.explains(error):
                raise LeaseRefused(error) from None
            raise
        log.info("Auto-stop extended: %s h from now", hours)
        self._generation += 1
        self._asked_at = time.time()
        self._keep(lease)
        if not self._enabled():  # an answer without the lease: read it
            self._next_read = 0.0
        return await self.status()
