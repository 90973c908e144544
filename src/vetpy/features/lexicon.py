"""The infrastructure lexicon (package data ``data/infrastructure.csv``, with its provenance in the file):
which internet services a host belongs to (OAST, request bins, tunnels, dynamic DNS, paste and file-drop
sites, mock APIs, chat-bot APIs, shorteners, IP look-ups, static hosting), and the shapes of the
credentials that address a chat-bot or webhook (Telegram bot tokens, Discord and Slack webhooks)."""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from importlib import resources

import ahocorasick_rs

from vetpy.wordsearch import automaton, find_words

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


#: Top-level labels that are also file extensions: a lexicon domain ending in one (``interact.sh``,
#: ``paste.rs``) names a host in text only with a label before it or a leading dot.
_FILE_LIKE_TLDS = frozenset({"sh", "rs", "st", "py", "js", "md", "run", "gd"})
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"


@lru_cache(maxsize=2)
def _host_re(in_urls: bool) -> re.Pattern[str]:
    """A whole host name ending in a lexicon domain: dotted labels that do not start or end inside a word,
    a leading dot allowed (``'.abc.oast.fun'``); with ``in_urls`` False, not the host of a URL or a mail
    address (``//``, ``@`` before it: those are read as URLs)."""
    domains = "|".join(re.escape(d) for d in sorted(_table(), key=len, reverse=True))
    before = r"(?<![\w.-])" if in_urls else r"(?<![\w/@.-])"
    return re.compile(rf"{before}(\.?)((?:{_LABEL}\.)*?(?:{domains}))(?![\w-]|\.[a-z0-9])", re.I)


def lexicon_words() -> tuple[str, ...]:
    """The lexicon's domains, the words a text must hold for :func:`bare_hosts` to find anything."""
    return tuple(sorted(_table()))


@lru_cache(maxsize=1)
def _lexicon_automaton() -> ahocorasick_rs.AhoCorasick:
    return automaton(lexicon_words())


def has_lexicon_word(text: str) -> bool:
    """Whether ``text`` spells a lexicon domain anywhere (any case): one word search, no regex."""
    return bool(find_words(_lexicon_automaton(), text.lower(), overlapping=False))


def bare_hosts(text: str, in_urls: bool = False) -> list[tuple[str, str]]:
    """``(host, category)`` for every host name in ``text`` that ends in a lexicon domain, written as a
    whole dotted name (not a URL's host unless ``in_urls``); a domain whose last label is a file extension
    (``transfer.sh``) counts only with a label before it or a leading dot."""
    out: list[tuple[str, str]] = []
    table = _table()
    for m in _host_re(in_urls).finditer(text):
        host = m.group(2).lower()
        if host in table and not m.group(1) and host.rsplit(".", 1)[-1] in _FILE_LIKE_TLDS:
            continue
        category = host_category(host)
        if category is not None:
            out.append((host, category))
    return out
