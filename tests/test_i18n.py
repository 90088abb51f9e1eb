"""Messages in the reader's language: the REST API answers in the request's Accept-Language (the
page sends JupyterLab's), the CLI in the environment's (LANG); English when nothing is asked.
A report or a job record made once is read in each reader's own language."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_modelarts_snapshot import i18n

from conftest import Emulator
from helpers import GOOD, SAVE, as_json, call, finished_report, run_cli_command, wait_for_status

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
HAN = re.compile(r"[\u4e00-\u9fff]")
NAME_HINT = "Use 1 to 128 lowercase letters"


def zh(text: str) -> bool:
    return bool(HAN.search(text))


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("zh", "zh-CN"),
        ("zh_CN", "zh-CN"),
        ("en-US,zh-CN;q=0.5", "en"),
        ("fr-FR, de;q=0.9", "en"),
        ("de, zh-CN;q=0.4", "zh-CN"),
        ("zh-CN;q=0, en", "en"),
        (None, "en"),
        ("", "en"),
        ("zh-CN;q=x", "en"),
    ],
)
def test_the_language_is_the_first_accepted_one_we_have(header: str | None, language: str) -> None:
    assert i18n.language_tag(i18n.for_accept_language(header)) == language


async def test_an_invalid_save_is_refused_in_the_page_language(
    jp_fetch: Any, modelarts_env: Emulator
) -> None:
    bad = dict(GOOD, name="Bad Name")
    code, chinese = await call(jp_fetch, "POST", "jobs", body=bad, headers=CHINESE)
    assert code == 400 and chinese["field"] == "name"
    assert chinese["message"].startswith("镜像名称“Bad Name”不符合要求。"), chinese
    assert NAME_HINT not in chinese["message"]

    code, english = await call(jp_fetch, "POST", "jobs", body=bad)  # an API client: no header
    assert code == 400 and english["field"] == "name"
    assert english["message"].startswith("The name 'Bad Name' is not allowed. " + NAME_HINT)
    assert modelarts_env.count("create_image") == 0


async def test_one_shared_report_is_read_in_each_language(jp_fetch: Any) -> None:
    report = await finished_report(jp_fetch)
    code, chinese = await call(jp_fetch, "GET", "preflight", headers=CHINESE)
    assert code == 200
    assert chinese["started_at"] == report["started_at"]  # the same report, not a new walk
    for english, translated in zip(report["checks"], chinese["checks"]):
        assert english["id"] == translated["id"] and english["level"] == translated["level"]
        assert not zh(english["message"]), english
        assert zh(translated["message"]), translated
        assert translated["message"] != english["message"]
    size = next(check for check in chinese["checks"] if check["id"] == "size")
    assert size["message"].startswith("保存将为此实例运行的镜像增加")


async def test_a_stored_message_is_read_in_the_language_of_each_reader(
    jp_fetch: Any, modelarts_env: Emulator, state_dir: Path
) -> None:
    modelarts_env.configure(creating_seconds=3600)
    code, job = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 201
    await wait_for_status(jp_fetch, job["id"], {"CREATING"})
    modelarts_env.delete_image(job["id"])
    ended = await wait_for_status(jp_fetch, job["id"], {"DELETED"}, timeout=10)
    assert ended["status_message"].startswith("ModelArts no longer has this image")

    code, chinese = await call(jp_fetch, "GET", "jobs", job["id"], headers=CHINESE)
    assert chinese["status_message"].startswith("ModelArts 中已没有此镜像")
    # The record on disk keeps the message, not its English words: the CLI reads it in Chinese.
    status = run(state_dir, "zh_CN.UTF-8", "status", job["id"], "--json")
    assert as_json(status)["status_message"] == chinese["status_message"]


async def test_errors_outside_the_service_are_in_the_page_language(jp_fetch: Any) -> None:
    code, answer = await call(jp_fetch, "GET", "jobs", params={"limit": "0"}, headers=CHINESE)
    assert code == 400
    assert answer["message"] == "“limit”必须是 1 到 500 之间的整数,而不是“0”。"
    code, answer = await call(jp_fetch, "GET", "jobs", "no-such-id", headers=CHINESE)
    assert code == 404 and zh(answer["message"])


def run(state_dir: Path, lang: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        run_cli_command(state_dir, *args),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "LANG": lang},
        check=False,
    )


def test_the_cli_speaks_chinese_under_a_chinese_lang(
    modelarts_env: Emulator, state_dir: Path
) -> None:
    doctor = run(state_dir, "zh_CN.UTF-8", "doctor")
    assert doctor.returncode == 0, doctor.stderr
    assert "Notebook 实例:" in doctor.stdout
    assert "可以保存镜像。" in doctor.stdout
    assert "Ready to save" not in doctor.stdout

    invalid = run(state_dir, "zh_CN.UTF-8", "save", "--name", "Bad", "--namespace", "atelier")
    assert invalid.returncode == 2
    assert invalid.stderr.startswith("错误:name:镜像名称“Bad”不符合要求。"), invalid.stderr
    assert NAME_HINT not in invalid.stderr
    assert modelarts_env.count("create_image") == 0

    check = run(state_dir, "zh_CN.UTF-8", "preflight")
    assert check.returncode == 0, check.stderr
    assert "检查报告(已完成,开始于" in check.stdout
    assert "[正常] size: 保存将为此实例运行的镜像增加" in check.stdout
    assert "The save adds" not in check.stdout

    help_text = run(state_dir, "zh_CN.UTF-8", "save", "--help")
    assert "跟踪保存直到结束" in help_text.stdout


def test_json_keys_do_not_change_with_the_language(
    modelarts_env: Emulator, state_dir: Path
) -> None:
    english = as_json(run(state_dir, "C.UTF-8", "doctor", "--json"))
    chinese = as_json(run(state_dir, "zh_CN.UTF-8", "doctor", "--json"))
    assert set(chinese) == set(english)
    bad = [*SAVE[:2], "Bad", *SAVE[3:], "--json"]
    english_error = as_json(run(state_dir, "C.UTF-8", *bad))
    chinese_error = as_json(run(state_dir, "zh_CN.UTF-8", *bad))
    assert set(chinese_error) == set(english_error) == {"error", "exit_code", "message", "field"}
    assert zh(chinese_error["message"]) and not zh(english_error["message"])
