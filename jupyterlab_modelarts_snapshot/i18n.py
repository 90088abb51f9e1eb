"""Server and CLI messages in the reader's language, from the package's own gettext catalog.

A message is made once, with ``_("... {name} ...", name=value)``, and may be read later by
several people: a pre-flight report is shared, a job record is kept on disk. So ``_`` returns a
:class:`Text`: an English ``str`` (what logs and API clients that ask for nothing get) that keeps
its msgid and parameters, and renders in any language when it is sent. The REST API renders in
the request's ``Accept-Language`` (the page sends JupyterLab's language), the CLI in the
language of ``LANGUAGE``/``LC_ALL``/``LC_MESSAGES``/``LANG``, as gettext reads them.
"""

from __future__ import annotations

import contextvars
import functools
import gettext
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The front end's catalog is ``jupyterlab_modelarts_snapshot`` (JupyterLab loads its .json); the
# server's messages have their own domain, so each catalog is extracted and merged on its own.
DOMAIN = "jupyterlab_modelarts_snapshot_server"
LOCALE_DIR = Path(__file__).with_name("locale")
ENGLISH = gettext.NullTranslations()

# The language messages render in when no language is given (the CLI sets it from the env).
current: contextvars.ContextVar[gettext.NullTranslations] = contextvars.ContextVar(
    "modelarts_snapshot_language", default=ENGLISH
)


class Text(str):
    """A message: its English text as a ``str``, and its msgid and parameters to render it in
    another language. A parameter that is a Text renders in the same language; a list renders
    as its items joined by spaces."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, params: dict[str, Any] | None = None) -> Text:
        params = params or {}
        text = super().__new__(cls, _fill(msgid, params, ENGLISH))
        text.msgid, text.params = msgid, params
        return text

    def render(self, translations: gettext.NullTranslations | None = None) -> str:
        translations = translations or current.get()
        return _fill(translations.gettext(self.msgid), self.params, translations)

    # A Text is immutable: copies (dataclasses.asdict deep-copies) and pickles keep what it is.
    def __deepcopy__(self, memo: dict[int, Any]) -> Text:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Text, (self.msgid, self.params))


def _(msgid: str, /, **params: Any) -> Text:
    """Mark a message for translation; it renders when it is sent or printed."""
    return Text(msgid, params)


def tr(msgid: str, /, **params: Any) -> str:
    """A message rendered now, in the current language (for the CLI's own output)."""
    return Text(msgid, params).render()


def _each_text(value: Any, change: Callable[[Text], Any]) -> Any:
    """``value`` (JSON: dicts, lists, strings) with ``change`` applied to every Text in it."""
    if isinstance(value, Text):
        return change(value)
    if isinstance(value, dict):
        return {key: _each_text(item, change) for key, item in value.items()}
    if isinstance(value, list):
        return [_each_text(item, change) for item in value]
    return value


def render(value: Any, translations: gettext.NullTranslations | None = None) -> Any:
    """``value`` (a JSON answer) with every Text in it rendered."""
    return _each_text(value, lambda text: text.render(translations))


def dump(value: Any) -> Any:
    """``value`` with every Text as ``{"$text": msgid, "params": ...}``, to store it as JSON and
    render it later in whichever language reads it."""
    return _each_text(value, lambda text: {"$text": text.msgid, "params": dump(text.params)})


def load(value: Any) -> Any:
    """The inverse of :func:`dump`; ValueError when a stored message does not fill in."""
    if isinstance(value, dict):
        if set(value) == {"$text", "params"} and isinstance(value["$text"], str):
            params = load(value["params"])
            if not isinstance(params, dict):
                raise ValueError("a stored message's parameters are not an object")
            try:
                return Text(value["$text"], params)
            except (KeyError, IndexError, AttributeError) as error:
                raise ValueError(f"a stored message lacks its parameter {error}") from None
        return {key: load(item) for key, item in value.items()}
    if isinstance(value, list):
        return [load(item) for item in value]
    return value


def _fill(template: str, params: dict[str, Any], translations: gettext.NullTranslations) -> str:
    if not params:
        return template
    values = {
        key: " ".join(render(item, translations) for item in value)
        if isinstance(value, list)
        else render(value, translations)
        for key, value in params.items()
    }
    return template.format(**values)


@functools.cache
def catalog(language: str) -> gettext.NullTranslations:
    """The catalog for a language such as ``zh_CN``; English (the msgids) when there is none."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


@functools.lru_cache(maxsize=64)
def for_accept_language(header: str | None) -> gettext.NullTranslations:
    """The catalog for an ``Accept-Language`` header: its first language (by q-value) that the
    package has a catalog for, so ``zh-CN``, ``zh_CN`` and ``zh`` find zh_CN. English otherwise."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _sep, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            weight = 0.0
        if tag and weight > 0:
            ranked.append((-weight, position, tag.strip().replace("-", "_")))
    available = {path.name.lower(): path.name for path in installed()}
    for _weight, _position, tag in sorted(ranked):
        if tag.lower().startswith("en"):
            return ENGLISH
        match = available.get(tag.lower()) or next(
            (name for key, name in available.items() if key.split("_")[0] == tag.lower()), None
        )
        if match:
            return catalog(match)
    return ENGLISH


def language_tag(translations: gettext.NullTranslations) -> str:
    """A catalog's language as HTTP names it (``zh-CN``), from its header; ``en`` for English."""
    return translations.info().get("language", "en").replace("_", "-")


def installed() -> list[Path]:
    """The locale folders that hold a compiled server catalog."""
    return sorted(p.parents[1] for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))


def from_environment() -> gettext.NullTranslations:
    """The catalog the environment asks for (``LANG=zh_CN.UTF-8`` gives zh_CN), as gettext
    chooses it; English when it names none we have."""
    return gettext.translation(DOMAIN, LOCALE_DIR, fallback=True)
