"""Run the emulator: ``jupyter modelarts-snapshot emulator`` or ``python -m`` this package."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys

from tornado import httpserver, netutil

from ..i18n import _, tr
from .models import DEMO_ACCESS_KEY, DEMO_NOTEBOOK_ID, DEMO_SECRET_KEY, EmulatorState
from .urls import make_app

DESCRIPTION = _(
    "A local ModelArts for demos and tests: real HTTP, real signature checks, scripted faults."
)


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
    settings = (
        f"  MODELARTS_ENDPOINT={url}\n  SWR_ENDPOINT={url}\n"
        f"  HUAWEICLOUD_SDK_PROJECT_ID={state.project_id}\n"
        f"  MODELARTS_NOTEBOOK_ID={DEMO_NOTEBOOK_ID}\n  HUAWEICLOUD_SDK_AK={DEMO_ACCESS_KEY}\n"
        f"  HUAWEICLOUD_SDK_SK={DEMO_SECRET_KEY}\n  MODELARTS_METADATA_URL={url}"
    )
    counts = tr("  request counts: {url}", url=url + "/_emulator/requests")
    print(tr("ModelArts emulator on {url}", url=url), settings, counts, sep="\n", flush=True)
    await asyncio.Event().wait()


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(
        prog="jupyter modelarts-snapshot emulator", description=DESCRIPTION.render()
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help=tr("address to listen on (default 127.0.0.1)")
    )
    parser.add_argument(
        "--port", type=int, default=8090, help=tr("port (0 picks a free one; default 8090)")
    )
    parser.add_argument(
        "--init-seconds", type=float, default=2.0, help=tr("how long an image stays INIT")
    )
    parser.add_argument(
        "--creating-seconds", type=float, default=8.0, help=tr("how long an image stays CREATING")
    )
    parser.add_argument(
        "--duplicate-tag",
        choices=("reject", "overwrite"),
        default="reject",
        help=tr(
            "an existing name:tag is refused with ModelArts.6737, as the service does "
            "(default), or overwritten"
        ),
    )
    parser.add_argument(
        "--temp-credentials-ttl",
        type=float,
        default=3600.0,
        help=tr("lifetime of metadata-service keys"),
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
