"""Malware families and campaigns for the family hold-out protocol: packages that share an operator's
endpoint (a host that is not a well-known or shared service, a raw IP, a bot token or webhook address, a
paste or request-bin path), an author e-mail, or near-duplicate code belong to one campaign; campaigns are
the connected components of that sharing graph.

The keys come from the suspicious-lines text every feature record keeps (all of setup.py and every line
that touches network, processes, files or decoding), so no archive is read again. Two kinds of key are
shared infrastructure, not an operator's mark, and link nothing:

- a key that also occurs in a benign package;
- a key carried by packages that deliver to ``SHARED_AT_CREDENTIALS`` or more different credentials (bot
  tokens, webhook addresses). A credential is held by one operator, so packages posting to different ones
  belong to different operators, and what they have in common was copied: a stealer template's list of
  target sites, its embed icon, an anti-sandbox IP list. On the development corpus such keys chained 537
  archives posting to 182 different credentials into one component. Two different credentials may still be
  one operator replacing a deleted webhook, so it takes three. Credentials themselves always link.

A URL path that is a format string (``/avatars/{id}``) is code, not an address, and is no key."""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from vetpy.features.domains import is_well_known
from vetpy.features.lexicon import endpoint_keys, lexicon_hosts

_URL = re.compile(r"\b(?:https?|wss?|ftp)://([a-z0-9.-]+)(?::\d+)?(/[^\s'\"<>)\]}]*)?", re.I)
_IP = re.compile(r"(?<![\d.])((?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3})(?![\d.])")
_EMAIL = re.compile(r"\b([a-z0-9._%+-]{1,64}@[a-z0-9-]+(?:\.[a-z0-9-]+)+)\b", re.I)
PUBLIC_RESOLVERS = frozenset({"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "208.67.222.222"})
PLACEHOLDER_HOSTS = frozenset({"localhost", "example.com", "example.org", "example.net", "test.com"})
CREDENTIAL = "endpoint:"  # prefix of bot-token and webhook keys
SHARED_AT_CREDENTIALS = 3
_FORMAT = re.compile(r"[{}%$]")


def _url_key(host: str, path: str) -> str | None:
    host = host.lower().strip(".")
    if not host or "." not in host or host in PLACEHOLDER_HOSTS or is_well_known(host):
        return None
    if _IP.fullmatch(host):
        return None  # raw IPs are keyed by _ip_keys
    if (
        host in lexicon_hosts()
    ):  # a shared service's own host: the path names the operator's bin, paste or bot
        segments = [s for s in path.split("?")[0].split("/") if s][:2]
        if any(_FORMAT.search(s) for s in segments):
            return None
        return f"url:{host}/{'/'.join(segments)}" if segments else None
    return f"host:{host}"


def _ip_keys(text: str) -> set[str]:
    keys = set()
    for raw in _IP.findall(text):
        try:
            ip = ipaddress.ip_address(raw)
        except ValueError:  # dotted digits that are not an address ("0.2.00.3": a leading zero)
            continue
        if raw in PUBLIC_RESOLVERS or not ip.is_global:
            continue
        keys.add(f"ip:{raw}")
    return keys


def campaign_keys(text: str) -> set[str]:
    """Every operator mark in one package's suspicious-lines text."""
    keys = {k for host, path in _URL.findall(text) if (k := _url_key(host, path or ""))}
    keys |= _ip_keys(text)
    keys |= {f"endpoint:{k.lower()}" for k in endpoint_keys(text)}
    for email in _EMAIL.findall(text):
        domain = email.rsplit("@", 1)[1].lower()
        if domain not in PLACEHOLDER_HOSTS and not email.lower().startswith(("noreply@", "no-reply@")):
            keys.add(f"email:{email.lower()}")
    return keys


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass(frozen=True)
class Campaigns:
    """A campaign id per malware row (``None`` for benign rows) and what linked them."""

    ids: tuple[str | None, ...]
    linking_keys: int  # keys shared by two or more malware rows
    benign_keys_ignored: int  # keys dropped because a benign package has them too
    shared_keys_ignored: int = 0  # keys dropped because their packages post to many different credentials

    def sizes(self) -> list[int]:
        """Campaign sizes, largest first."""
        return sorted(Counter(i for i in self.ids if i is not None).values(), reverse=True)


def shared_by_operators(malware_keys: Sequence[set[str]]) -> set[str]:
    """Keys (not credentials) whose packages, together, post to ``SHARED_AT_CREDENTIALS`` or more
    different credentials: copied between operators, so they name none of them."""
    credentials: dict[str, set[str]] = {}
    for keys in malware_keys:
        held = {k for k in keys if k.startswith(CREDENTIAL)}
        if not held:
            continue
        for key in keys:
            if not key.startswith(CREDENTIAL):
                credentials.setdefault(key, set()).update(held)
    return {k for k, c in credentials.items() if len(c) >= SHARED_AT_CREDENTIALS}


def find_campaigns(texts: Sequence[str], labels: Sequence[int], near_duplicate: Sequence[str]) -> Campaigns:
    """Connected components over shared keys among malware rows (``labels`` 1); benign rows only veto keys,
    and keys shared by several operators (``shared_by_operators``) link nothing. ``near_duplicate`` is each
    row's near-duplicate cluster key, itself a link."""
    keys = [campaign_keys(t) for t in texts]
    benign: set[str] = set().union(*(k for k, y in zip(keys, labels, strict=True) if y == 0))
    malware = {i: keys[i] - benign for i, y in enumerate(labels) if y == 1}
    shared_by_many = shared_by_operators(list(malware.values()))
    uf = _UnionFind(len(texts))
    first: dict[str, int] = {}
    shared: Counter[str] = Counter()
    for i, row_keys in malware.items():
        for key in (row_keys - shared_by_many) | {f"dup:{near_duplicate[i]}"}:
            shared[key] += 1
            if key in first:
                uf.union(first[key], i)
            else:
                first[key] = i
    ids = tuple(f"campaign:{uf.find(i)}" if y == 1 else None for i, y in enumerate(labels))
    malware_keys: set[str] = set().union(*(k for k, y in zip(keys, labels, strict=True) if y == 1))
    return Campaigns(
        ids, sum(1 for c in shared.values() if c > 1), len(malware_keys & benign), len(shared_by_many)
    )
