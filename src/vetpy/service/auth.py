"""Bearer tokens: read from ``--token-file`` (one per line), compared in constant time, never logged."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from vetpy.errors import VetpyError


def read_tokens(path: Path) -> tuple[bytes, ...]:
    """The tokens in ``path``: one per line; blank lines and lines starting with ``#`` are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VetpyError(f"{path}: cannot read the token file ({type(exc).__name__})") from None
    tokens = tuple(
        line.strip().encode() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )
    if not tokens:
        raise VetpyError(f"{path}: no token in the token file")
    if any(len(token) < 16 for token in tokens):
        raise VetpyError(f"{path}: every token must be at least 16 characters long")
    return tokens


def new_token_file(path: Path) -> tuple[bytes, ...]:
    """Create ``path`` (mode 0600) holding one random token, and return it; an existing file is read."""
    if path.exists():
        return read_tokens(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return (token.encode(),)


def bearer(header: str | None) -> bytes | None:
    """The token in an ``Authorization: Bearer ...`` header, or None."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip().encode("utf-8", "replace")


def allowed(tokens: tuple[bytes, ...], presented: bytes | None) -> bool:
    """True when ``presented`` is one of ``tokens``; every token is compared (no early exit)."""
    if presented is None:
        return False
    match = False
    for token in tokens:
        match |= hmac.compare_digest(token, presented)
    return match
