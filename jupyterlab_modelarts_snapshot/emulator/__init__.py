"""A local ModelArts for demos and tests: real HTTP, real signature checks, scripted faults.

It serves the calls this project makes (CreateImage, ShowImage, ListImage, ShowNotebook,
DeleteImage, the image sync call, ShowLease, RenewLease, StopNotebook, StartNotebook), SWR's
ListRepositoryTags, DeleteRepoTag and quotas, an IAM token endpoint and the instance metadata
service, and walks each image INIT -> CREATING -> ACTIVE on configurable timings. Every saved
or seeded image has an SWR tag ``namespace/name:tag`` once its save has ended; DeleteImage
removes only the ModelArts registration unless forced (query ``force=true`` or body
``{"is_force": true}``), and a save that reaches ACTIVE becomes ShowNotebook's ``image``. It answers as the service does (the official SDK's models and
the API reference are its oracle): unknown images and notebooks are 400 with their error code,
a duplicate name:tag is refused, ListImage lists built-in images unless asked for
``type=DEDICATED``, each notebook has an auto-stop lease (4 hours, TIMING, when made or
started) that RenewLease moves from 1 to 72 hours ahead, a stop or start of an instance
already there is ``ModelArts.6357``, and every answer has an ``X-Request-Id``.
Control routes under ``/_emulator/`` let a test or a person fail saves, inject errors and
delays, seed images (one or many), set a notebook's status and lease, and read how many
requests each route served, in what order, which force form each DeleteImage carried, and what
each RenewLease received.

Split by role, as moto splits a service: ``models`` (state and behaviour), ``responses`` (HTTP
answers), ``urls`` (routes) and ``server`` (the command).
"""

from .models import (
    DEMO_ACCESS_KEY,
    DEMO_NOTEBOOK_ID,
    DEMO_PASSWORD,
    DEMO_PROJECT_ID,
    DEMO_SECRET_KEY,
    DEMO_USER,
    DEMO_USER_ID,
    EmulatorState,
    Fault,
)
from .server import build_parser, run, serve
from .urls import make_app

__all__ = [
    "DEMO_ACCESS_KEY",
    "DEMO_NOTEBOOK_ID",
    "DEMO_PASSWORD",
    "DEMO_PROJECT_ID",
    "DEMO_SECRET_KEY",
    "DEMO_USER",
    "DEMO_USER_ID",
    "EmulatorState",
    "Fault",
    "build_parser",
    "make_app",
    "run",
    "serve",
]
