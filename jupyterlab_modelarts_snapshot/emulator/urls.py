"""The emulator's routes: ModelArts, SWR, IAM and the metadata service, then its control
routes."""

from __future__ import annotations

from tornado import web

from . import responses
from .models import EmulatorState

PROJECT = r"/v1/([^/]+)"
ID = r"([^/]+)"
# SWR's repositories: a '/' in a repository name is sent as '$'.
SWR_REPO = rf"/v2/manage/namespaces/{ID}/repos/{ID}"

ROUTES: list[tuple[str, type[responses.EmulatorHandler]]] = [
    (rf"{PROJECT}/notebooks/{ID}/create-image", responses.CreateImageHandler),
    (rf"{PROJECT}/notebooks/{ID}", responses.ShowNotebookHandler),
    (rf"{PROJECT}/notebooks/{ID}/lease", responses.LeaseHandler),
    (rf"{PROJECT}/notebooks/{ID}/stop", responses.StopNotebookHandler),
    (rf"{PROJECT}/notebooks/{ID}/start", responses.StartNotebookHandler),
    (rf"{PROJECT}/images", responses.ListImagesHandler),
    (rf"{PROJECT}/images/{ID}", responses.ImageHandler),
    (rf"{PROJECT}/images/{ID}/sync", responses.SyncImageHandler),
    (rf"{SWR_REPO}/tags", responses.SwrTagsHandler),
    (rf"{SWR_REPO}/tags/{ID}", responses.SwrTagHandler),
    (rf"/v2/manage/projects/{ID}/quotas", responses.SwrQuotasHandler),
    (r"/v3/auth/tokens", responses.IamTokenHandler),
    (r"/meta-data/latest/api/token", responses.MetadataTokenHandler),
    (r"/openstack/latest/securitykey", responses.MetadataSecurityKeyHandler),
    (r"/_emulator/requests", responses.RequestCountsHandler),
    (r"/_emulator/faults", responses.FaultsHandler),
    (r"/_emulator/config", responses.ConfigHandler),
    (r"/_emulator/images", responses.SeedImageHandler),
    (r"/_emulator/lease", responses.LeaseControlHandler),
    (r"/_emulator/reset", responses.ResetHandler),
]


def make_app(state: EmulatorState) -> web.Application:
    kwargs = {"state": state}
    return web.Application(
        [(pattern, handler, kwargs) for pattern, handler in ROUTES],
        log_function=responses.log_request,
    )
