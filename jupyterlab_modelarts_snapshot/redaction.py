"""Credentials out of the URLs that manifests and rebuild files record.

Index and channel URLs can carry a secret: a user and password (``https://user:pw@host/``) or
an anaconda.org-style token segment (``https://host/t/<token>/channel``). A manifest goes into
the image and a rebuild file is meant to be shared, so every URL they record passes through
:func:`redact_url`: the secret is replaced by a marker that says one is needed, and the rest of
the URL stays, so that it still names the same index or channel.
"""

from __future__ import annotations

import re

# What stands where a secret was: a reader of a rebuild file puts theirs there.
CREDENTIALS_MARK = "<credentials>"
TOKEN_MARK = "<token>"  # noqa: S105 - a placeholder, not a secret

# "user:password@" after the scheme (up to the last "@" before the path: a password may hold
# one), or at the start of a URL whose scheme was cut off.
_USER_INFO = re.compile(r"(^|://)([^/\s]+)@")
# A "/t/<token>" segment pair, inside the path or at its end.
_TOKEN = re.compile(r"/t/[^/\s]+(?=/|$)")
# A query can carry a signature or a key (a presigned download URL).
_QUERY = re.compile(r"\?[^#\s]*")


def _user_info(url: str, found: re.Match[str]) -> str:
    # ssh's "git@host" names an account, not a secret; anything else (a token as the user name
    # of an https URL) is marked.
    if ":" not in found.group(2) and url.split("://", 1)[0].endswith("ssh"):
        return found.group(0)
    return f"{found.group(1)}{CREDENTIALS_MARK}@"


def redact_url(url: str) -> str:
    """``url`` with its user info, token segments and query replaced by the marks."""
    url = _USER_INFO.sub(lambda found: _user_info(url, found), url, count=1)
    url = _QUERY.sub(f"?{CREDENTIALS_MARK}", url, count=1)
    return _TOKEN.sub(f"/t/{TOKEN_MARK}", url)


def needs_credentials(url: str) -> bool:
    """Whether a redacted URL had a secret that its reader must supply."""
    return CREDENTIALS_MARK in url or TOKEN_MARK in url
