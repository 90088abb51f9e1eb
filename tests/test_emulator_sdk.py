"""The official SDKs as the emulator's oracle: if ``huaweicloudsdkmodelarts`` and
``huaweicloudsdkswr`` cannot tell the emulator from ModelArts and SWR, neither can a user
switching to the real service.

Every call the product makes (CreateImage, ShowImage, ListImage, ShowNotebook, ShowLease,
RenewLease, StopNotebook) and DeleteImage and StartNotebook, and SWR's ListRepositoryTags,
DeleteRepoTag and ListQuotas, go through the SDK's own client, signed by its own signer, with the
parameters the product sends. Answers must parse into the SDK's response models with no field the
models do not know, and errors must become SDK exceptions with the right status, code, message
and request ID.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import (
    ClientRequestException,
    ServerResponseException,
)
from huaweicloudsdkmodelarts.v1 import ModelArtsClient
from huaweicloudsdkmodelarts.v1 import model as sdk_model
from huaweicloudsdkmodelarts.v1.model import (
    CreateImageRequest,
    CreateImageResponse,
    DeleteImageRequest,
    DeleteImageRequestBody,
    DeleteImageResponse,
    ImageCreateReq,
    Lease,
    LeaseReq,
    ListImageRequest,
    ListImageResponse,
    RenewLeaseRequest,
    RenewLeaseResponse,
    ShowImageRequest,
    ShowImageResponse,
    ShowLeaseRequest,
    ShowLeaseResponse,
    ShowNotebookRequest,
    ShowNotebookResponse,
    StartNotebookRequest,
    StartNotebookResponse,
    StopNotebookRequest,
    StopNotebookResponse,
)
from huaweicloudsdkswr.v2 import SwrClient
from huaweicloudsdkswr.v2 import model as swr_model
from huaweicloudsdkswr.v2.model import (
    DeleteRepoTagRequest,
    DeleteRepoTagResponse,
    ListQuotasRequest,
    ListQuotasResponse,
    ListRepositoryTagsRequest,
    ListRepositoryTagsResponse,
)

from jupyterlab_modelarts_snapshot.emulator import (
    DEMO_ACCESS_KEY,
    DEMO_NOTEBOOK_ID,
    DEMO_PROJECT_ID,
    DEMO_SECRET_KEY,
)
from jupyterlab_modelarts_snapshot.exceptions import InvalidInput
from jupyterlab_modelarts_snapshot.rules import validate_save_request
from jupyterlab_modelarts_snapshot.signing import SdkHmacSha256Auth

from conftest import CASES, Emulator
from helpers import wait_until

OTHER_NOTEBOOK_ID = "0c7d1e52-9a4b-4d3f-8e2a-6b5c4d3e2f10"
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
HOUR_MS = 3_600_000


@pytest.fixture
def sdk(modelarts_env: Emulator) -> ModelArtsClient:
    credentials = BasicCredentials(DEMO_ACCESS_KEY, DEMO_SECRET_KEY, DEMO_PROJECT_ID)
    return (
        ModelArtsClient.new_builder()
        .with_credentials(credentials)
        .with_endpoint(modelarts_env.url)
        .build()
    )


@pytest.fixture
def raw(modelarts_env: Emulator) -> httpx.Client:
    """The same service read without the SDK, to see every field and header it sends."""
    return httpx.Client(
        base_url=f"{modelarts_env.url}/v1/{DEMO_PROJECT_ID}",
        auth=SdkHmacSha256Auth(DEMO_ACCESS_KEY, DEMO_SECRET_KEY),
        timeout=10,
    )


@pytest.fixture
def swr(modelarts_env: Emulator) -> SwrClient:
    """SWR's SDK client, pointed at the emulator as at ``swr-api.{region}.myhuaweicloud.com``."""
    credentials = BasicCredentials(DEMO_ACCESS_KEY, DEMO_SECRET_KEY, DEMO_PROJECT_ID)
    return (
        SwrClient.new_builder()
        .with_credentials(credentials)
        .with_endpoint(modelarts_env.url)
        .build()
    )


@pytest.fixture
def raw_swr(modelarts_env: Emulator) -> httpx.Client:
    return httpx.Client(
        base_url=f"{modelarts_env.url}/v2/manage",
        auth=SdkHmacSha256Auth(DEMO_ACCESS_KEY, DEMO_SECRET_KEY),
        timeout=10,
    )


def product_save(**fields: str) -> CreateImageRequest:
    """CreateImage with what the product sends: name, namespace, tag, description, workspace."""
    body = {"namespace": "atelier-auto", "tag": "v1", "description": "", "workspace_id": "0"}
    body.update(fields)
    return CreateImageRequest(id=DEMO_NOTEBOOK_ID, body=ImageCreateReq(**body))


def assert_fits_model(
    data: Any, type_name: str, where: str = "answer", models: Any = sdk_model
) -> None:
    """Every field of ``data`` is one the SDK's model declares, with the declared type."""
    if type_name.startswith("list["):
        assert isinstance(data, list), where
        for index, item in enumerate(data):
            assert_fits_model(item, type_name[5:-1], f"{where}[{index}]", models)
        return
    simple = {"str": str, "int": int, "bool": bool, "float": (int, float), "object": object}
    if type_name in simple:
        assert data is None or isinstance(data, simple[type_name]), f"{where}: {data!r}"
        assert not (type_name == "int" and isinstance(data, bool)), where
        return
    model = getattr(models, type_name)
    assert isinstance(data, dict), f"{where} should be a {type_name} object"
    by_wire_name = {wire: attr for attr, wire in model.attribute_map.items()}
    for key, value in data.items():
        assert key in by_wire_name, f"{where}.{key} is not a field of the SDK's {type_name}"
        assert_fits_model(value, model.openapi_types[by_wire_name[key]], f"{where}.{key}", models)


def assert_sdk_error(
    error: pytest.ExceptionInfo[Any], status: int, code: str, message_part: str = ""
) -> None:
    assert error.value.status_code == status
    assert error.value.error_code == code
    assert message_part in error.value.error_msg
    assert REQUEST_ID.match(error.value.request_id or ""), error.value.request_id


def wait_for_status(sdk: ModelArtsClient, image_id: str, wanted: str) -> ShowImageResponse:
    def reached() -> ShowImageResponse | None:
        answer = sdk.show_image(ShowImageRequest(id=image_id))
        return answer if answer.status == wanted else None

    return wait_until(reached, 15, 0.2, f"image {image_id} became {wanted}")


def test_create_show_and_delete_parse_into_the_sdk_models(
    sdk: ModelArtsClient, raw: httpx.Client
) -> None:
    created = sdk.create_image(product_save(name="sdk-env", description="from the SDK"))
    assert isinstance(created, CreateImageResponse)
    assert created.status_code == 200
    assert (created.name, created.namespace, created.tag) == ("sdk-env", "atelier-auto", "v1")
    assert created.status == "INIT"
    assert created.type == "DEDICATED" and created.origin == "IMAGE_SAVE"
    assert created.swr_path.endswith("/atelier-auto/sdk-env:v1")
    assert isinstance(created.create_at, int) and created.create_at > 1e12  # milliseconds

    shown = wait_for_status(sdk, created.id, "ACTIVE")
    assert shown.size and shown.size > 0  # KB, once saved
    assert shown.update_at >= shown.create_at
    answer = raw.get(f"/images/{created.id}")
    assert_fits_model(answer.json(), "ShowImageResponse")

    deleted = sdk.delete_image(DeleteImageRequest(id=created.id))
    assert isinstance(deleted, DeleteImageResponse)
    assert deleted.id == created.id
    with pytest.raises(ClientRequestException) as gone:
        sdk.show_image(ShowImageRequest(id=created.id))
    assert_sdk_error(gone, 400, "ModelArts.6404", created.id)
    with pytest.raises(ClientRequestException) as again:
        sdk.delete_image(DeleteImageRequest(id=created.id))
    assert_sdk_error(again, 400, "ModelArts.6404")


def test_every_create_answer_field_is_in_the_sdk_model(raw: httpx.Client) -> None:
    answer = raw.post(
        f"/notebooks/{DEMO_NOTEBOOK_ID}/create-image",
        json={"name": "fields-env", "namespace": "atelier-auto", "tag": "v1"},
    )
    assert answer.status_code == 200
    assert_fits_model(answer.json(), "CreateImageResponse")


def test_create_accepts_the_sdks_optional_enterprise_swr_fields(sdk: ModelArtsClient) -> None:
    created = sdk.create_image(
        product_save(
            name="enterprise-env",
            swr_instance_id="8d3a6f0e-2b1c-4e5d-9f8a-7b6c5d4e3f2a",
            swr_instance_domain="team.swr.example",
        )
    )
    assert created.swr_instance_id == "8d3a6f0e-2b1c-4e5d-9f8a-7b6c5d4e3f2a"


def test_show_notebook_has_a_flat_workspace_and_the_running_image(
    sdk: ModelArtsClient, raw: httpx.Client
) -> None:
    notebook = sdk.show_notebook(ShowNotebookRequest(id=DEMO_NOTEBOOK_ID))
    assert isinstance(notebook, ShowNotebookResponse)
    assert notebook.status == "RUNNING"
    assert notebook.workspace_id == "0"
    assert notebook.image.id and notebook.image.name and notebook.image.swr_path
    assert_fits_model(raw.get(f"/notebooks/{DEMO_NOTEBOOK_ID}").json(), "ShowNotebookResponse")

    sdk.create_image(product_save(name="busy-env"))
    saving = sdk.show_notebook(ShowNotebookRequest(id=DEMO_NOTEBOOK_ID))
    assert saving.status == "SNAPSHOTTING"


def test_list_image_defaults_to_built_in_images_and_fuzzy_names(
    sdk: ModelArtsClient, raw: httpx.Client, modelarts_env: Emulator
) -> None:
    mine = sdk.create_image(product_save(name="pytorch-env"))
    # A second saved image whose name contains the first (seeded: the instance is busy now).
    modelarts_env.seed_image(name="pytorch-env2", namespace="atelier-auto", tag="v1")

    built_in = sdk.list_image(ListImageRequest())
    assert isinstance(built_in, ListImageResponse)
    assert built_in.total >= 1
    assert {image.type for image in built_in.data} == {"BUILD_IN"}
    assert mine.id not in {image.id for image in built_in.data}
    assert_fits_model(raw.get("/images").json(), "ListImageResponse")

    fuzzy = sdk.list_image(ListImageRequest(type="DEDICATED", name="pytorch-env"))
    assert {image.name for image in fuzzy.data} == {"pytorch-env", "pytorch-env2"}
    exact = sdk.list_image(
        ListImageRequest(type="DEDICATED", name="pytorch-env", name_fuzzy_match=False)
    )
    assert [image.id for image in exact.data] == [mine.id]
    # The product's own query, as httpx encodes it (lowercase booleans).
    product = raw.get(
        "/images",
        params={
            "name": "pytorch-env", "namespace": "atelier-auto", "type": "DEDICATED",
            "name_fuzzy_match": "false", "workspace_id": "0", "sort_key": "create_at",
            "sort_dir": "DESC",
        },
    )  # fmt: skip
    assert [image["id"] for image in product.json()["data"]] == [mine.id]


def test_list_image_sorts_in_any_case_and_counts_pages_from_one(sdk: ModelArtsClient) -> None:
    ascending = sdk.list_image(ListImageRequest(sort_key="create_at", sort_dir="asc"))
    descending = sdk.list_image(ListImageRequest(sort_key="create_at", sort_dir="Desc"))
    assert [image.id for image in ascending.data] == [image.id for image in descending.data][::-1]
    first = sdk.list_image(ListImageRequest(limit=1, offset=0))
    second = sdk.list_image(ListImageRequest(limit=1, offset=1))
    assert (first.current, second.current) == (1, 2)
    assert first.pages == first.total >= 2
    assert first.size == 1 and first.data[0].id != second.data[0].id
    everything = sdk.list_image(ListImageRequest())
    assert everything.current == 1 and everything.pages == 1  # limit defaults to 200
    with pytest.raises(ClientRequestException) as bad_sort:
        sdk.list_image(ListImageRequest(sort_dir="UP"))
    assert_sdk_error(bad_sort, 400, "ModelArts.6400", "sort_dir")
    with pytest.raises(ClientRequestException) as bad_type:
        sdk.list_image(ListImageRequest(type="MINE"))
    assert_sdk_error(bad_type, 400, "ModelArts.6400", "type")


def test_errors_the_product_handles_become_sdk_exceptions(
    sdk: ModelArtsClient, modelarts_env: Emulator
) -> None:
    with pytest.raises(ClientRequestException) as unknown_notebook:
        sdk.show_notebook(ShowNotebookRequest(id=OTHER_NOTEBOOK_ID))
    assert_sdk_error(unknown_notebook, 400, "ModelArts.6309", OTHER_NOTEBOOK_ID)
    with pytest.raises(ClientRequestException) as create_unknown:
        sdk.create_image(CreateImageRequest(id=OTHER_NOTEBOOK_ID, body=ImageCreateReq(
            name="env", namespace="atelier-auto")))  # fmt: skip
    assert_sdk_error(create_unknown, 400, "ModelArts.6309")
    with pytest.raises(ClientRequestException) as unknown_image:
        sdk.show_image(ShowImageRequest(id=OTHER_NOTEBOOK_ID))
    assert_sdk_error(unknown_image, 400, "ModelArts.6404")
    with pytest.raises(ClientRequestException) as invalid:
        sdk.create_image(product_save(name="Not-Lowercase"))
    assert_sdk_error(invalid, 400, "ModelArts.6400", "name")

    first = sdk.create_image(product_save(name="dup-env"))
    with pytest.raises(ClientRequestException) as busy:
        sdk.create_image(product_save(name="other-env"))
    assert_sdk_error(busy, 400, "ModelArts.6357")
    wait_for_status(sdk, first.id, "ACTIVE")
    with pytest.raises(ClientRequestException) as duplicate:
        sdk.create_image(product_save(name="dup-env"))
    assert_sdk_error(
        duplicate,
        400,
        "ModelArts.6737",
        "Conflict tag v1 for image dup-env, tag cannot be duplicated",
    )

    modelarts_env.configure(notebook_status="STOPPED")
    with pytest.raises(ClientRequestException) as stopped:
        sdk.create_image(product_save(name="stopped-env"))
    assert_sdk_error(stopped, 400, "ModelArts.6327", "STOPPED")


def test_duplicate_tags_can_be_switched_to_overwrite(
    sdk: ModelArtsClient, modelarts_env: Emulator
) -> None:
    modelarts_env.configure(duplicate_tag="overwrite", init_seconds=0, creating_seconds=0)
    first = sdk.create_image(product_save(name="again-env"))
    second = sdk.create_image(product_save(name="again-env"))
    assert second.id != first.id
    with pytest.raises(ClientRequestException) as replaced:
        sdk.show_image(ShowImageRequest(id=first.id))
    assert_sdk_error(replaced, 400, "ModelArts.6404")


def test_busy_server_and_bad_credentials_as_the_sdk_sees_them(
    sdk: ModelArtsClient, modelarts_env: Emulator
) -> None:
    modelarts_env.fault(route="show_notebook", status=429, retry_after=1)
    with pytest.raises(ClientRequestException) as throttled:
        sdk.show_notebook(ShowNotebookRequest(id=DEMO_NOTEBOOK_ID))
    assert throttled.value.status_code == 429
    modelarts_env.fault(route="show_image", status=503, error_code="ModelArts.6102")
    with pytest.raises(ServerResponseException) as failing:
        sdk.show_image(ShowImageRequest(id=OTHER_NOTEBOOK_ID))
    assert_sdk_error(failing, 503, "ModelArts.6102")

    wrong = BasicCredentials(DEMO_ACCESS_KEY, "not-the-secret", DEMO_PROJECT_ID)
    stranger = ModelArtsClient.new_builder().with_credentials(wrong)
    stranger = stranger.with_endpoint(modelarts_env.url).build()
    with pytest.raises(ClientRequestException) as refused:
        stranger.show_notebook(ShowNotebookRequest(id=DEMO_NOTEBOOK_ID))
    assert_sdk_error(refused, 401, "APIGW.0301", "signature")


def test_every_answer_carries_a_request_id(modelarts_env: Emulator, raw: httpx.Client) -> None:
    answers = [
        raw.get(f"/notebooks/{DEMO_NOTEBOOK_ID}"),
        raw.get("/images"),
        raw.get(f"/images/{OTHER_NOTEBOOK_ID}"),  # an error
        raw.post(f"/notebooks/{DEMO_NOTEBOOK_ID}/create-image", json={"name": "x"}),  # invalid
        httpx.get(f"{modelarts_env.url}/v1/{DEMO_PROJECT_ID}/images"),  # unauthenticated
        modelarts_env.http.get("/_emulator/requests"),
    ]
    ids = [answer.headers.get("X-Request-Id", "") for answer in answers]
    assert all(REQUEST_ID.match(request_id) for request_id in ids), ids
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("field", ["name", "namespace", "tag", "description", "workspace_id"])
def test_what_the_product_accepts_the_service_accepts(sdk: ModelArtsClient, field: str) -> None:
    """The emulator's checks come from the API reference, not from the product's rules, so a
    value the product would send that ModelArts refuses fails here."""
    values = [str(case["value"]) * int(case.get("repeat", 1)) for case in CASES["cases"]]
    values += ["0", "0123456789abcdef0123456789abcdef"]  # workspace IDs
    sent = 0
    for index, value in enumerate(values):
        request = {"name": f"drift-{index}", "namespace": "atelier-auto", "tag": f"t{index}"}
        try:
            body = validate_save_request({**request, field: value}).upstream_body()
        except InvalidInput:
            continue
        created = sdk.create_image(
            CreateImageRequest(id=DEMO_NOTEBOOK_ID, body=ImageCreateReq(**body))
        )
        sdk.delete_image(DeleteImageRequest(id=created.id))
        sent += 1
    assert sent >= 3


# -- the auto-stop lease, stop and start -------------------------------------------------------
def now_ms() -> int:
    return int(time.time() * 1000)


def requests_seen(modelarts_env: Emulator) -> dict[str, Any]:
    seen: dict[str, Any] = modelarts_env.http.get("/_emulator/requests").json()
    return seen


def set_lease(modelarts_env: Emulator, **fields: Any) -> dict[str, Any]:
    response = modelarts_env.http.post("/_emulator/lease", json=fields)
    assert response.status_code == 200, response.text
    lease: dict[str, Any] = response.json()
    return lease


def test_show_notebook_and_show_lease_give_the_lease_as_the_sdk_models_it(
    sdk: ModelArtsClient, raw: httpx.Client
) -> None:
    notebook = sdk.show_notebook(ShowNotebookRequest(id=DEMO_NOTEBOOK_ID))
    assert isinstance(notebook.lease, Lease)
    lease = sdk.show_lease(ShowLeaseRequest(id=DEMO_NOTEBOOK_ID))
    assert isinstance(lease, ShowLeaseResponse)
    # A new instance: auto-stop on, 4 hours from its start, counted either way.
    assert (lease.enable, lease.type, lease.duration) == (True, "TIMING", 4 * HOUR_MS)
    assert lease.create_at == lease.update_at == notebook.lease.create_at
    assert 1e12 < lease.create_at <= now_ms()  # milliseconds
    assert_fits_model(raw.get(f"/notebooks/{DEMO_NOTEBOOK_ID}/lease").json(), "ShowLeaseResponse")
    shown = raw.get(f"/notebooks/{DEMO_NOTEBOOK_ID}").json()
    assert_fits_model(shown["lease"], "Lease", "notebook.lease")
    assert_fits_model(shown, "ShowNotebookResponse")
    with pytest.raises(ClientRequestException) as unknown:
        sdk.show_lease(ShowLeaseRequest(id=OTHER_NOTEBOOK_ID))
    assert_sdk_error(unknown, 400, "ModelArts.6309", OTHER_NOTEBOOK_ID)


def test_renew_lease_in_the_body_or_the_query_moves_update_at_only(
    sdk: ModelArtsClient, raw: httpx.Client, modelarts_env: Emulator
) -> None:
    started = now_ms() - 2 * HOUR_MS
    set_lease(modelarts_env, create_at=started, update_at=started)
    body_form = sdk.renew_lease(
        RenewLeaseRequest(id=DEMO_NOTEBOOK_ID, body=LeaseReq(duration=2 * HOUR_MS, type="IDLE"))
    )
    assert isinstance(body_form, RenewLeaseResponse)
    assert (body_form.duration, body_form.type, body_form.enable) == (2 * HOUR_MS, "IDLE", True)
    assert body_form.create_at == started
    assert now_ms() - 5000 < body_form.update_at <= now_ms()

    # The query overrides the body and forces TIMING (the SDK's RenewLeaseRequest.duration).
    query_form = sdk.renew_lease(
        RenewLeaseRequest(id=DEMO_NOTEBOOK_ID, duration=3 * HOUR_MS, body=LeaseReq(type="IDLE"))
    )
    assert isinstance(query_form, RenewLeaseResponse)
    assert (query_form.duration, query_form.type) == (3 * HOUR_MS, "TIMING")
    assert query_form.create_at == started and query_form.update_at >= body_form.update_at
    # As the Terraform provider sends it: the query and no body.
    terraform = raw.patch(
        f"/notebooks/{DEMO_NOTEBOOK_ID}/lease", params={"duration": str(72 * HOUR_MS)}
    )
    assert terraform.status_code == 200, terraform.text
    assert_fits_model(terraform.json(), "RenewLeaseResponse")
    assert terraform.json()["duration"] == 72 * HOUR_MS
    # The body form with the type left out is TIMING too.
    timing = sdk.renew_lease(
        RenewLeaseRequest(id=DEMO_NOTEBOOK_ID, body=LeaseReq(duration=HOUR_MS))
    )
    assert (timing.duration, timing.type) == (HOUR_MS, "TIMING")
    assert sdk.show_lease(ShowLeaseRequest(id=DEMO_NOTEBOOK_ID)).to_dict() == timing.to_dict()

    renewals = requests_seen(modelarts_env)["renewals"]
    assert [(r["source"], r["duration"], r["type"], r["error_code"]) for r in renewals] == [
        ("body", 2 * HOUR_MS, "IDLE", None),
        ("query", 3 * HOUR_MS, "IDLE", None),
        ("query", 72 * HOUR_MS, None, None),
        ("body", HOUR_MS, None, None),
    ]
    assert modelarts_env.count("renew_lease") == 4


def test_renew_lease_refuses_as_modelarts_does(
    sdk: ModelArtsClient, raw: httpx.Client, modelarts_env: Emulator
) -> None:
    before = sdk.show_lease(ShowLeaseRequest(id=DEMO_NOTEBOOK_ID)).to_dict()
    with pytest.raises(ClientRequestException) as too_long:
        sdk.renew_lease(
            RenewLeaseRequest(id=DEMO_NOTEBOOK_ID, body=LeaseReq(duration=100 * HOUR_MS))
        )
    assert_sdk_error(too_long, 400, "ModelArts.6349")
    with pytest.raises(ClientRequestException) as too_short:
        sdk.renew_lease(RenewLeaseRequest(id=DEMO_NOTEBOOK_ID, duration=HOUR_MS - 1))
    assert_sdk_error(too_short, 400, "ModelArts.6349")
    not_a_number = raw.patch(f"/notebooks/{DEMO_NOTEBOOK_ID}/lease", params={"duration": "1h"})
    assert not_a_number.json()["error_code"] == "ModelArts.6349"
    fraction = raw.patch(f"/notebooks/{DEMO_NOTEBOOK_ID}/lease", json={"duration": 3.6e6 + 0.5})
    assert fraction.json()["error_code"] == "ModelArts.6349"
    with pytest.raises(ClientRequestException) as missing:
        sdk.renew_lease(RenewLeaseRequest(id=DEMO_NOTEBOOK_ID, body=LeaseReq(type="TIMING")))
    assert_sdk_error(missing, 400, "ModelArts.6348")
    assert raw.patch(f"/notebooks/{DEMO_NOTEBOOK_ID}/lease").json()["error_code"] == (
        "ModelArts.6348"
    )
    with pytest.raises(ClientRequestException) as unknown:
        sdk.renew_lease(RenewLeaseRequest(id=OTHER_NOTEBOOK_ID, duration=HOUR_MS))
    assert_sdk_error(unknown, 400, "ModelArts.6309")

    sdk.create_image(product_save(name="lease-env"))  # the instance is SNAPSHOTTING
    with pytest.raises(ClientRequestException) as saving:
        sdk.renew_lease(RenewLeaseRequest(id=DEMO_NOTEBOOK_ID, duration=HOUR_MS))
    assert_sdk_error(saving, 400, "ModelArts.6357")
    modelarts_env.configure(notebook_status="STOPPED")
    with pytest.raises(ClientRequestException) as stopped:
        sdk.renew_lease(RenewLeaseRequest(id=DEMO_NOTEBOOK_ID, duration=HOUR_MS))
    assert_sdk_error(stopped, 400, "ModelArts.6327", "STOPPED")

    assert sdk.show_lease(ShowLeaseRequest(id=DEMO_NOTEBOOK_ID)).to_dict() == before
    codes = [r["error_code"] for r in requests_seen(modelarts_env)["renewals"]]
    assert codes == ["ModelArts.6349"] * 4 + ["ModelArts.6348"] * 2 + ["ModelArts.6357"] + [
        "ModelArts.6327"
    ]  # the unknown notebook's is not recorded: it is refused before the request is read


def test_stop_and_start_parse_into_the_sdk_models(
    sdk: ModelArtsClient, raw: httpx.Client, modelarts_env: Emulator
) -> None:
    stopped = sdk.stop_notebook(StopNotebookRequest(id=DEMO_NOTEBOOK_ID))
    assert isinstance(stopped, StopNotebookResponse)
    assert stopped.id == DEMO_NOTEBOOK_ID and stopped.status == "STOPPED"
    assert sdk.show_notebook(ShowNotebookRequest(id=DEMO_NOTEBOOK_ID)).status == "STOPPED"
    with pytest.raises(ClientRequestException) as again:
        sdk.stop_notebook(StopNotebookRequest(id=DEMO_NOTEBOOK_ID))
    assert_sdk_error(again, 400, "ModelArts.6357", "STOPPED")
    with pytest.raises(ClientRequestException) as unknown:
        sdk.stop_notebook(StopNotebookRequest(id=OTHER_NOTEBOOK_ID))
    assert_sdk_error(unknown, 400, "ModelArts.6309")

    # Start with the provider's duration=-1: a fresh lease of the default length.
    set_lease(modelarts_env, create_at=1, update_at=1)
    started = sdk.start_notebook(StartNotebookRequest(id=DEMO_NOTEBOOK_ID, duration=-1))
    assert isinstance(started, StartNotebookResponse)
    assert started.status == "RUNNING"
    assert started.lease.duration == 4 * HOUR_MS and started.lease.type == "TIMING"
    assert started.lease.create_at == started.lease.update_at > now_ms() - 5000
    with pytest.raises(ClientRequestException) as running:
        sdk.start_notebook(StartNotebookRequest(id=DEMO_NOTEBOOK_ID))
    assert_sdk_error(running, 400, "ModelArts.6357", "RUNNING")

    answer = raw.post(f"/notebooks/{DEMO_NOTEBOOK_ID}/stop")
    assert answer.status_code == 200
    assert_fits_model(answer.json(), "StopNotebookResponse")
    with pytest.raises(ClientRequestException) as too_long:
        sdk.start_notebook(StartNotebookRequest(id=DEMO_NOTEBOOK_ID, duration=100 * HOUR_MS))
    assert_sdk_error(too_long, 400, "ModelArts.6349")
    idle = sdk.start_notebook(
        StartNotebookRequest(id=DEMO_NOTEBOOK_ID, duration=2 * HOUR_MS, type="IDLE")
    )
    assert (idle.lease.duration, idle.lease.type) == (2 * HOUR_MS, "IDLE")

    sdk.create_image(product_save(name="stop-env"))  # a stop while saving is refused
    with pytest.raises(ClientRequestException) as saving:
        sdk.stop_notebook(StopNotebookRequest(id=DEMO_NOTEBOOK_ID))
    assert_sdk_error(saving, 400, "ModelArts.6357", "SNAPSHOTTING")
    counts = modelarts_env.counts()
    assert (counts["stop_notebook"], counts["start_notebook"]) == (5, 4)


def test_a_stop_can_pass_through_stopping(sdk: ModelArtsClient, modelarts_env: Emulator) -> None:
    modelarts_env.configure(stopping_seconds=0.6)
    stopping = sdk.stop_notebook(StopNotebookRequest(id=DEMO_NOTEBOOK_ID))
    assert stopping.status == "STOPPING"
    assert modelarts_env.configure()["notebooks"][DEMO_NOTEBOOK_ID] == "STOPPING"
    with pytest.raises(ClientRequestException) as busy:
        sdk.stop_notebook(StopNotebookRequest(id=DEMO_NOTEBOOK_ID))
    assert_sdk_error(busy, 400, "ModelArts.6357", "STOPPING")
    with pytest.raises(ClientRequestException) as renew:
        sdk.renew_lease(RenewLeaseRequest(id=DEMO_NOTEBOOK_ID, duration=HOUR_MS))
    assert_sdk_error(renew, 400, "ModelArts.6357")
    wait_until(
        lambda: sdk.show_notebook(ShowNotebookRequest(id=DEMO_NOTEBOOK_ID)).status == "STOPPED",
        5,
        0.1,
        "the instance stopped",
    )


def test_the_request_log_is_in_order_with_show_image_statuses(
    sdk: ModelArtsClient, modelarts_env: Emulator
) -> None:
    sdk.show_notebook(ShowNotebookRequest(id=DEMO_NOTEBOOK_ID))
    assert modelarts_env.http.delete("/_emulator/requests").json()["log"] == []
    assert requests_seen(modelarts_env)["log"] == []

    created = sdk.create_image(product_save(name="log-env"))
    wait_for_status(sdk, created.id, "ACTIVE")
    sdk.stop_notebook(StopNotebookRequest(id=DEMO_NOTEBOOK_ID))
    modelarts_env.configure(init_seconds=0)  # a control request: not in the log

    log = requests_seen(modelarts_env)["log"]
    routes = [entry["route"] for entry in log]
    assert routes[0] == "create_image" and routes[-1] == "stop_notebook"
    assert set(routes[1:-1]) == {"show_image"}
    times = [entry["at"] for entry in log]
    assert times == sorted(times)
    statuses = [entry["status"] for entry in log if entry["route"] == "show_image"]
    assert statuses[-1] == "ACTIVE" and "CREATING" in statuses
    assert statuses == sorted(statuses, key=["INIT", "CREATING", "ACTIVE"].index)
    last_creating = max(i for i, entry in enumerate(log) if entry.get("status") == "CREATING")
    assert routes.index("stop_notebook") > last_creating
    assert all("status" not in entry for entry in log if entry["route"] != "show_image")


def test_the_lease_control_route_sets_the_stop_time_and_refuses_unknown_fields(
    sdk: ModelArtsClient, modelarts_env: Emulator
) -> None:
    before = now_ms()
    lease = set_lease(modelarts_env, stops_in_seconds=90, type="IDLE")
    # The stop is 90 s away whether it is counted from create_at or from update_at.
    for start in ("create_at", "update_at"):
        assert before + 90_000 <= lease[start] + lease["duration"] <= now_ms() + 90_000
    assert lease["type"] == "IDLE"
    assert modelarts_env.http.get("/_emulator/lease").json() == lease
    assert sdk.show_lease(ShowLeaseRequest(id=DEMO_NOTEBOOK_ID)).to_dict() == lease
    assert set_lease(modelarts_env, enable=False)["enable"] is False

    modelarts_env.configure(notebooks=[OTHER_NOTEBOOK_ID])
    other = set_lease(modelarts_env, notebook_id=OTHER_NOTEBOOK_ID, duration=HOUR_MS)
    assert other["duration"] == HOUR_MS
    assert sdk.show_lease(ShowLeaseRequest(id=DEMO_NOTEBOOK_ID)).duration == lease["duration"]
    shown = modelarts_env.http.get("/_emulator/lease", params={"notebook_id": OTHER_NOTEBOOK_ID})
    assert shown.json() == other

    for bad in (
        {"stops_at": 5},
        {"duration": "1h"},
        {"enable": "yes"},
        {"stops_in_seconds": 60, "create_at": 1},
        {"notebook_id": "no-such-notebook", "duration": HOUR_MS},
        [],
    ):
        refused = modelarts_env.http.post("/_emulator/lease", json=bad)
        assert refused.status_code == 400, bad
        assert refused.json()["message"], bad
    assert sdk.show_lease(ShowLeaseRequest(id=DEMO_NOTEBOOK_ID)).enable is False


# -- images after a save, DeleteImage's force forms, SWR -------------------------------------------
def seed_images(modelarts_env: Emulator, images: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = modelarts_env.http.post("/_emulator/images", json=images)
    assert response.status_code == 201, response.text
    seeded: list[dict[str, Any]] = response.json()
    return seeded


def tag_names(swr: SwrClient, namespace: str, repository: str, **query: Any) -> list[str]:
    request = ListRepositoryTagsRequest(namespace=namespace, repository=repository, **query)
    # An empty list comes out of the SDK as None.
    return [tag.tag for tag in swr.list_repository_tags(request).body or []]


def log_since(modelarts_env: Emulator, start: int) -> list[dict[str, Any]]:
    log: list[dict[str, Any]] = requests_seen(modelarts_env)["log"][start:]
    return log


def assert_swr_error(error: pytest.ExceptionInfo[Any], status: int, code: str) -> None:
    """SWR's errors (errorCode, errorMessage) as its SDK gives them: the SDK reads neither name,
    so the exception's code is the HTTP status and its message the whole body."""
    assert error.value.status_code == status
    assert error.value.error_code == str(status)
    assert f'"errorCode": "{code}"' in error.value.error_msg, error.value.error_msg
    assert REQUEST_ID.match(error.value.request_id or ""), error.value.request_id


def test_delete_image_keeps_the_swr_tag_unless_forced_in_either_form(
    sdk: ModelArtsClient, swr: SwrClient, raw: httpx.Client, modelarts_env: Emulator
) -> None:
    plain, by_body, by_query, ignored = seed_images(
        modelarts_env,
        [{"name": "keep-env", "namespace": "atelier-auto", "tag": f"v{n}"} for n in range(4)],
    )
    assert tag_names(swr, "atelier-auto", "keep-env") == ["v3", "v2", "v1", "v0"]

    start = len(requests_seen(modelarts_env)["log"])
    deleted = sdk.delete_image(DeleteImageRequest(id=plain["id"]))
    assert isinstance(deleted, DeleteImageResponse) and deleted.status == "DELETED"
    # One DeleteImage and no SWR call: the registration goes, the tag and its storage stay.
    assert [(e["route"], e["force"]) for e in log_since(modelarts_env, start)] == [
        ("delete_image", None)
    ]
    assert "v0" in tag_names(swr, "atelier-auto", "keep-env")

    forced = sdk.delete_image(
        DeleteImageRequest(id=by_body["id"], body=DeleteImageRequestBody(is_force=True))
    )
    assert forced.id == by_body["id"]
    answer = raw.delete(f"/images/{by_query['id']}", params={"force": "true"})
    assert answer.status_code == 200, answer.text
    assert_fits_model(answer.json(), "DeleteImageResponse")
    assert tag_names(swr, "atelier-auto", "keep-env") == ["v3", "v0"]
    deletes = [e for e in log_since(modelarts_env, start) if e["route"] == "delete_image"]
    assert [(e["image_id"], e["force"]) for e in deletes] == [
        (plain["id"], None), (by_body["id"], "body"), (by_query["id"], "query"),
    ]  # fmt: skip
    for image in (plain, by_body, by_query):
        with pytest.raises(ClientRequestException) as gone:
            sdk.show_image(ShowImageRequest(id=image["id"]))
        assert_sdk_error(gone, 400, "ModelArts.6404")

    # A force form the service would not honour (the two sources disagree): the tag stays.
    modelarts_env.configure(delete_force_forms=["query"])
    sdk.delete_image(DeleteImageRequest(id=ignored["id"], body=DeleteImageRequestBody(True)))
    assert tag_names(swr, "atelier-auto", "keep-env") == ["v3", "v0"]
    last_delete = [e for e in log_since(modelarts_env, start) if e["route"] == "delete_image"][-1]
    assert last_delete["force"] == "body"  # sent, though not honoured


def test_delete_image_refuses_a_bad_force_and_built_in_images(
    sdk: ModelArtsClient, swr: SwrClient, raw: httpx.Client, modelarts_env: Emulator
) -> None:
    image = modelarts_env.seed_image(name="bad-force-env", namespace="atelier-auto", tag="v1")
    for params, body in (
        ({"force": "yes"}, None),
        ({}, {"is_force": "yes"}),
        ({}, {"force": True}),
        ({}, [True]),
        ({}, "not json"),
    ):
        content = body if isinstance(body, str) else None
        refused = raw.request(
            "DELETE", f"/images/{image['id']}", params=params, content=content,
            json=None if content else body,
        )  # fmt: skip
        assert refused.status_code == 400, (params, body)
        assert refused.json()["error_code"] == "ModelArts.6400", refused.text
    assert sdk.show_image(ShowImageRequest(id=image["id"])).status == "ACTIVE"
    assert tag_names(swr, "atelier-auto", "bad-force-env") == ["v1"]
    # force=false in the query and false in the body are plain deletes.
    answer = raw.request(
        "DELETE", f"/images/{image['id']}", params={"force": "False"}, json={"is_force": False}
    )
    assert answer.status_code == 200, answer.text
    assert requests_seen(modelarts_env)["log"][-1]["force"] is None
    assert tag_names(swr, "atelier-auto", "bad-force-env") == ["v1"]

    built_in = sdk.list_image(ListImageRequest()).data[0]
    with pytest.raises(ClientRequestException) as refused_built_in:
        sdk.delete_image(
            DeleteImageRequest(id=built_in.id, body=DeleteImageRequestBody(is_force=True))
        )
    assert_sdk_error(refused_built_in, 400, "ModelArts.6407", "built in")


def test_swr_tags_parse_into_the_swr_sdk_models_and_page(
    swr: SwrClient, raw_swr: httpx.Client, modelarts_env: Emulator
) -> None:
    base = now_ms() - 3_600_000
    # A repository name with a '/', which SWR's paths carry as '$'.
    seed_images(modelarts_env, [
        {"name": "team/env", "namespace": "atelier-auto", "tag": f"t{n:02d}",
         "create_at": base + n * 60_000}
        for n in range(30)
    ])  # fmt: skip
    listed = swr.list_repository_tags(
        ListRepositoryTagsRequest(namespace="atelier-auto", repository="team$env")
    )
    assert isinstance(listed, ListRepositoryTagsResponse)
    assert [tag.tag for tag in listed.body] == [f"t{n:02d}" for n in range(29, -1, -1)]
    assert listed.content_range == "0-30/30"
    newest = listed.body[0]
    assert newest.path == "swr.cn-north-4.myhuaweicloud.com/atelier-auto/team/env:t29"
    assert newest.internal_path.endswith("/atelier-auto/team/env:t29")
    assert newest.digest.startswith("sha256:") and newest.size > 0 and newest.schema == 2
    assert newest.updated.endswith("Z") and newest.deleted is None and not newest.is_trusted
    assert len({tag.id for tag in listed.body}) == 30
    assert {tag.repo_id for tag in listed.body} == {newest.repo_id}
    answer = raw_swr.get("/namespaces/atelier-auto/repos/team$env/tags")
    assert answer.status_code == 200
    assert_fits_model(answer.json(), "list[ShowReposTagResp]", models=swr_model)

    pages = [
        swr.list_repository_tags(
            ListRepositoryTagsRequest(
                namespace="atelier-auto", repository="team$env", limit=str(7),
                offset=str(offset), order_column="updated_at", order_type="asc",
            )
        )
        for offset in range(0, 30, 7)
    ]  # fmt: skip
    assert [page.content_range for page in pages] == [
        "0-7/30", "7-7/30", "14-7/30", "21-7/30", "28-2/30",
    ]  # fmt: skip
    assert [tag.tag for page in pages for tag in page.body] == [f"t{n:02d}" for n in range(30)]
    assert tag_names(swr, "atelier-auto", "team$env", limit="3", offset="0") == [
        "t29", "t28", "t27",
    ]  # fmt: skip
    # The default page is 100 once paging is asked for; the tag filter; the filter form.
    assert len(tag_names(swr, "atelier-auto", "team$env", offset="0")) == 30
    assert tag_names(swr, "atelier-auto", "team$env", tag="t1") == [
        f"t{n}" for n in range(19, 9, -1)
    ]
    assert tag_names(
        swr, "atelier-auto", "team$env",
        filter="offset::0|limit::2|order_column::tag|order_type::asc",
    ) == ["t00", "t01"]  # fmt: skip

    with pytest.raises(ClientRequestException) as too_many:
        tag_names(swr, "atelier-auto", "team$env", limit="1001", offset="0")
    assert_swr_error(too_many, 400, "SVCSTG.SWR.4000056")
    with pytest.raises(ClientRequestException) as bad_order:
        tag_names(swr, "atelier-auto", "team$env", order_column="size", order_type="asc")
    assert_swr_error(bad_order, 400, "SVCSTG.SWR.4000014")
    with pytest.raises(ClientRequestException) as no_namespace:
        tag_names(swr, "nobody", "team$env")
    assert_swr_error(no_namespace, 404, "SVCSTG.SWR.4040058")
    with pytest.raises(ClientRequestException) as no_repository:
        tag_names(swr, "atelier-auto", "team")
    assert_swr_error(no_repository, 404, "SVCSTG.SWR.4040010")
    # Built-in images are in the platform's organization, not the user's.
    with pytest.raises(ClientRequestException):
        tag_names(swr, "atelier", "pytorch1.8-cuda10.2-cudnn7-ubuntu18.04")

    unsigned = httpx.get(
        f"{modelarts_env.url}/v2/manage/namespaces/atelier-auto/repos/team$env/tags"
    )
    assert unsigned.status_code == 401 and unsigned.json()["error_code"] == "APIGW.0301"
    quotas = swr.list_quotas(ListQuotasRequest())
    assert isinstance(quotas, ListQuotasResponse)
    assert [(q.quota_key, q.used, q.quota_limit) for q in quotas.quotas] == [("namespace", 1, 15)]
    assert_fits_model(
        raw_swr.get(f"/projects/{DEMO_PROJECT_ID}/quotas").json(), "ListQuotasResponse",
        models=swr_model,
    )  # fmt: skip
    assert raw_swr.get("/projects/another-project/quotas").status_code == 403


def test_delete_repo_tag_removes_the_tag_and_leaves_modelarts_alone(
    sdk: ModelArtsClient, swr: SwrClient, raw_swr: httpx.Client, modelarts_env: Emulator
) -> None:
    first, _ = seed_images(modelarts_env, [
        {"name": "team/env", "namespace": "atelier-auto", "tag": "v1"},
        {"name": "team/env", "namespace": "atelier-auto", "tag": "v2"},
    ])  # fmt: skip
    start = len(requests_seen(modelarts_env)["log"])
    deleted = swr.delete_repo_tag(
        DeleteRepoTagRequest(namespace="atelier-auto", repository="team$env", tag="v1")
    )
    assert isinstance(deleted, DeleteRepoTagResponse) and deleted.status_code == 204
    assert tag_names(swr, "atelier-auto", "team$env") == ["v2"]
    # The ModelArts registration stays: its image is gone from SWR only.
    assert sdk.show_image(ShowImageRequest(id=first["id"])).status == "ACTIVE"
    with pytest.raises(ClientRequestException) as again:
        swr.delete_repo_tag(
            DeleteRepoTagRequest(namespace="atelier-auto", repository="team$env", tag="v1")
        )
    assert_swr_error(again, 404, "SVCSTG.SWR.4040048")
    answer = raw_swr.delete("/namespaces/atelier-auto/repos/team$env/tags/v2")
    assert (answer.status_code, answer.content) == (204, b"")
    assert tag_names(swr, "atelier-auto", "team$env") == []
    missing = raw_swr.delete("/namespaces/atelier-auto/repos/nothing/tags/v1")
    assert missing.status_code == 404
    assert missing.json()["errorCode"] == "SVCSTG.SWR.4040010" and missing.json()["errorMessage"]

    log = log_since(modelarts_env, start)
    assert [
        (e["route"], e.get("repository"), e.get("tag")) for e in log if "swr" in e["route"]
    ] == [
        ("swr_delete_tag", "team/env", "v1"),
        ("swr_list_tags", "team/env", None),
        ("swr_delete_tag", "team/env", "v1"),
        ("swr_delete_tag", "team/env", "v2"),
        ("swr_list_tags", "team/env", None),
        ("swr_delete_tag", "nothing", "v1"),
    ]
    counts = modelarts_env.counts()
    assert (counts["swr_delete_tag"], counts["swr_list_tags"]) == (4, 2)


def test_a_saves_tag_is_in_swr_once_the_save_is_active(
    sdk: ModelArtsClient, swr: SwrClient, modelarts_env: Emulator
) -> None:
    created = sdk.create_image(product_save(name="pushed-env"))
    assert tag_names(swr, "atelier-auto", "pushed-env") == []  # still being pushed
    wait_for_status(sdk, created.id, "ACTIVE")
    (tag,) = swr.list_repository_tags(
        ListRepositoryTagsRequest(namespace="atelier-auto", repository="pushed-env")
    ).body
    assert tag.tag == "v1" and tag.path == created.swr_path
    assert tag.size == sdk.show_image(ShowImageRequest(id=created.id)).size * 1024  # KB, bytes

    modelarts_env.configure(fail_next_save="Pushing failed.")
    failed = sdk.create_image(product_save(name="failed-env"))
    wait_for_status(sdk, failed.id, "CREATE_FAILED")
    assert tag_names(swr, "atelier-auto", "failed-env") == []


def test_list_image_pages_over_a_thousand_seeded_images_give_each_once(
    sdk: ModelArtsClient, raw: httpx.Client, modelarts_env: Emulator
) -> None:
    base = now_ms() - 86_400_000
    started = time.monotonic()
    response = modelarts_env.http.post("/_emulator/images", json={"images": [
        {"name": f"bulk-{n % 7}", "namespace": "atelier-auto", "tag": f"t{n}",
         "create_at": base + n * 1000, "status": "CREATING" if n % 10 == 0 else "ACTIVE"}
        for n in range(1000)
    ]})  # fmt: skip
    assert response.status_code == 201
    seeded = response.json()["images"]
    assert len(seeded) == 1000 and {image["origin"] for image in seeded} == {"CUSTOMIZE"}

    seen: list[str] = []
    for offset in range(0, 1000, 200):
        page = sdk.list_image(ListImageRequest(type="DEDICATED", limit=200, offset=offset))
        assert (page.total, page.size, page.current, page.pages) == (
            1000,
            200,
            offset // 200 + 1,
            5,
        )
        seen += [image.id for image in page.data]
    assert sorted(seen) == sorted(image["id"] for image in seeded)  # each once
    assert seen == [image["id"] for image in reversed(seeded)]  # newest first
    # Another page size and order, with update_at: each once again.
    ascending: list[str] = []
    for offset in range(0, 1000, 333):
        page = sdk.list_image(
            ListImageRequest(type="DEDICATED", limit=333, offset=offset, sort_key="update_at",
                             sort_dir="ASC")
        )  # fmt: skip
        ascending += [image.id for image in page.data]
    assert ascending == [image["id"] for image in seeded]
    assert time.monotonic() - started < 15, "1,000 images must not slow ListImage down"

    fuzzy = sdk.list_image(
        ListImageRequest(type="DEDICATED", name="bulk-3", namespace="atelier-auto")
    )
    assert fuzzy.total == len(range(3, 1000, 7))
    answer = raw.get("/images", params={"type": "DEDICATED", "limit": 3, "offset": 990})
    assert_fits_model(answer.json(), "ListImageResponse")
    assert [image["origin"] for image in answer.json()["data"]] == ["CUSTOMIZE"] * 3
    statuses = {image.status for image in sdk.list_image(
        ListImageRequest(type="DEDICATED", limit=10, offset=0, sort_key="create_at", sort_dir="ASC")
    ).data}  # fmt: skip
    assert statuses == {"CREATING", "ACTIVE"}  # a seeded status stays as given


def test_seeding_one_or_many_images_and_what_is_refused(
    sdk: ModelArtsClient, modelarts_env: Emulator
) -> None:
    one = modelarts_env.seed_image(
        name="one-env", namespace="atelier-auto", tag="v1", origin="IMAGE_SAVE",
        description="Saved from notebook-demo", create_at=1_700_000_000_000,
    )  # fmt: skip
    assert (one["origin"], one["description"]) == ("IMAGE_SAVE", "Saved from notebook-demo")
    assert one["create_at"] == one["update_at"] == 1_700_000_000_000
    walking = modelarts_env.seed_image(
        name="walk-env", namespace="atelier-auto", status="INIT", progress=True
    )
    assert walking["tag"] == "latest" and walking["type"] == "DEDICATED"
    wait_for_status(sdk, walking["id"], "ACTIVE")

    before = sdk.list_image(ListImageRequest(type="DEDICATED")).total
    for bad in (
        [{"name": "ok-env", "namespace": "atelier-auto"}, {"name": "no-namespace"}],
        {"images": [{"name": "ok-env", "namespace": "atelier-auto", "create_at": "yesterday"}]},
        [{"name": "ok-env", "namespace": "atelier-auto", "progress": "yes"}],
        {"name": "only-a-name"},
        [7],
    ):
        refused = modelarts_env.http.post("/_emulator/images", json=bad)
        assert refused.status_code == 400, bad
        assert refused.json()["message"], bad
    assert sdk.list_image(ListImageRequest(type="DEDICATED")).total == before  # none seeded


def test_show_notebook_image_moves_to_the_save_once_it_is_active(
    sdk: ModelArtsClient, raw: httpx.Client, modelarts_env: Emulator
) -> None:
    running = sdk.show_notebook(ShowNotebookRequest(id=DEMO_NOTEBOOK_ID)).image
    created = sdk.create_image(product_save(name="next-start-env"))
    creating = wait_for_status(sdk, created.id, "CREATING")
    assert creating.status == "CREATING"
    assert sdk.show_notebook(ShowNotebookRequest(id=DEMO_NOTEBOOK_ID)).image.id == running.id
    wait_for_status(sdk, created.id, "ACTIVE")

    moved = sdk.show_notebook(ShowNotebookRequest(id=DEMO_NOTEBOOK_ID))
    assert moved.status == "RUNNING"
    assert (moved.image.id, moved.image.name, moved.image.swr_path, moved.image.type) == (
        created.id, "next-start-env", created.swr_path, "DEDICATED",
    )  # fmt: skip
    assert_fits_model(raw.get(f"/notebooks/{DEMO_NOTEBOOK_ID}").json(), "ShowNotebookResponse")
    # A failed save, or a deleted one, leaves it on the last image saved.
    modelarts_env.configure(fail_next_save="Committing the container failed.")
    failed = sdk.create_image(product_save(name="failed-env"))
    wait_for_status(sdk, failed.id, "CREATE_FAILED")
    deleted = sdk.create_image(product_save(name="deleted-env"))
    sdk.delete_image(DeleteImageRequest(id=deleted.id))
    shown = sdk.show_notebook(ShowNotebookRequest(id=DEMO_NOTEBOOK_ID))
    assert (shown.status, shown.image.id) == ("RUNNING", created.id)


def test_show_notebook_image_stays_when_repointing_is_off(
    sdk: ModelArtsClient, modelarts_env: Emulator
) -> None:
    assert modelarts_env.configure()["repoint_after_save"] is True
    modelarts_env.configure(repoint_after_save=False)
    running = sdk.show_notebook(ShowNotebookRequest(id=DEMO_NOTEBOOK_ID)).image
    created = sdk.create_image(product_save(name="unconfirmed-env"))
    wait_for_status(sdk, created.id, "ACTIVE")
    shown = sdk.show_notebook(ShowNotebookRequest(id=DEMO_NOTEBOOK_ID))
    assert (shown.status, shown.image.id) == ("RUNNING", running.id)
    for bad in ({"repoint_after_save": "no"}, {"delete_force_forms": ["header"]}):
        assert modelarts_env.http.post("/_emulator/config", json=bad).status_code == 400
