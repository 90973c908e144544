"""The infrastructure lexicon (package data ``data/infrastructure.csv``, with its provenance in the file):
which internet services a host belongs to (OAST, request bins, tunnels, dynamic DNS, paste and file-drop
sites, mock APIs, chat-bot APIs, shorteners, IP look-ups, static hosting), and the shapes of the
credentials that address a chat-bot or webhook (Telegram bot tokens, Discord and Slack webhooks)."""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from importlib import resources

CATEGORIES = (
    "oast",
    "request_bin",
    "tunnel",
    "dyndns",
    "paste",
    "file_drop",
    "mock_api",
    "chat_bot",
    "shortener",
    "ip_lookup",
    "static_hosting",
)

# Credential shapes that name one bot or one webhook: two packages sharing one share an operator.
ENDPOINT_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("telegram_bot", re.compile(r"(?<!\d)(\d{8,10}:[A-Za-z0-9_-]{35})(?![A-Za-z0-9_-])")),
    ("discord_webhook", re.compile(r"discord(?:app)?\.com/api/webhooks/(\d{15,21}/[\w-]{20,100})", re.I)),
    ("slack_webhook", re.compile(r"hooks\.slack\.com/services/([A-Za-z0-9]+/[A-Za-z0-9]+/[A-Za-z0-9]+)")),
)


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    text = resources.files("vetpy.data").joinpath("infrastructure.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    table = {row["host"].strip().lower(): row["category"].strip() for row in rows}
    unknown = set(table.values()) - set(CATEGORIES)
    if unknown:  # pragma: no cover - guarded by a test over the shipped file
        raise ValueError(f"infrastructure.csv: unknown categories {sorted(unknown)}")
    return table


@lru_cache(maxsize=1)
def lexicon_hosts() -> frozenset[str]:
    """Every host the lexicon lists (the shared services themselves)."""
    return frozenset(_table())


@lru_cache(maxsize=8192)
def host_category(host: str) -> str | None:
    """The lexicon category of ``host`` (itself or its nearest listed parent domain), else None."""
    parts = host.strip().strip(".").lower().split(".")
    table = _table()
    for i in range(len(parts) - 1):
        category = table.get(".".join(parts[i:]))
        if category:
            return category
    return None


def endpoint_keys(text: str) -> list[str]:
    """``kind:value`` for every bot token or webhook address in ``text`` (case kept where it matters)."""
    return [f"{kind}:{m.group(1)}" for kind, pattern in ENDPOINT_SHAPES for m in pattern.finditer(text)]
