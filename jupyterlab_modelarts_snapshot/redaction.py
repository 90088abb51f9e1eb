"""Credentials out of the URLs that manifests and rebuild files record.

Index and channel URLs can carry a secret: a user and password (``https://user:pw@host/``) or
an anaconda.org-style token segment (``https://host/t/<token>/channel``). A manifest goes into
the image and a rebuild file is meant to be shared, so every URL they record passes through
:func:`redact_url`: the secret goes, the rest of the URL stays.
"""

from __future__ import annotations

import re

# "user:password@" after the scheme, or at the start of a URL whose scheme was cut off.
_USER_INFO = re.compile(r"(^|://)[^/@\s]+@")
# A "/t/<token>" segment pair, inside the path or at its end.
_TOKEN = re.compile(r"/t/[^/\s]+(?=/|$)")


def redact_url(url: str) -> str:
    """``url`` without its user info and token segments."""
    return _TOKEN.sub("", _USER_INFO.sub(r"\1", url, count=1))
