"""Remove credentials from anything vetpy shows: one function, applied wherever text leaves vetpy.

Two kinds of secret are removed: the user-info part of any URL (``https://user:token@host`` becomes
``https://***@host``) and every secret vetpy has read at run time (passwords and tokens from pip's
configuration, netrc or keyring), which :func:`register_secret` records, so a token printed without its URL
(for example in a server's error message echoing it back) is removed as well.
"""

from __future__ import annotations

import re
import threading

MASK = "***"

# scheme://userinfo@ : userinfo is anything but "/", "?", "#", "@" and whitespace (RFC 3986 allows ":" in it)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]{0,30}://)[^/?#@\s]{1,2048}@")
_lock = threading.Lock()
_secrets: set[str] = set()
MIN_SECRET = 4  # shorter values (e.g. "x") would blank out ordinary text


def register_secret(value: str | None) -> None:
    """Remember a secret so that :func:`redact` removes it wherever it appears."""
    if value and len(value) >= MIN_SECRET:
        with _lock:
            _secrets.add(value)
            from urllib.parse import quote

            _secrets.add(quote(value, safe=""))


def redact(text: str) -> str:
    """``text`` without URL user-info and without any registered secret."""
    if not text:
        return text
    cleaned = _USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", text)
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in cleaned:
            cleaned = cleaned.replace(secret, MASK)
    return cleaned


def redact_url(url: str) -> str:
    """A URL fit to show: its user-info replaced by ``***``."""
    return redact(url)
