"""URLs and IP addresses named in a release's code, with where each first appears."""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from vetpy.acquire.interface import Member

CODE_SUFFIXES = (".py", ".pyw", ".pth", ".sh", ".bash", ".bat", ".cmd", ".ps1", ".vbs", ".js")
CODE_NAMES = ("setup.cfg", "pyproject.toml")
MAX_FILE_BYTES = 2_000_000
MAX_PER_RELEASE = 5000

URL_RE = re.compile(r"(?i)\b(?:https?|ftp|wss?|tcp|udp)://[^\s'\"<>\\()\[\]{}`]+")
IPV4_RE = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
TRAILING = ".,;:!?"


@dataclass(frozen=True)
class Found:
    """One URL or IP address at a place in one file."""

    kind: str  # "url" | "ip"
    value: str
    host: str
    file: str
    line: int


def is_code(path: str) -> bool:
    name = PurePosixPath(path).name.lower()
    return name.endswith(CODE_SUFFIXES) or name in CODE_NAMES


def _host(url: str) -> str:
    try:
        return (urllib.parse.urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _ip(text: str) -> str | None:
    try:
        address = ipaddress.IPv4Address(text)
    except ValueError:
        return None
    if address.is_loopback or address.is_unspecified:
        return None  # binding and local test addresses are not somewhere to send data
    return str(address)


def find_in_text(path: str, text: str) -> list[Found]:
    """Every URL and (non-loopback) IPv4 address in ``text``, in order."""
    found: list[Found] = []
    for number, line in enumerate(text.splitlines(), start=1):
        spans: list[tuple[int, int]] = []
        for match in URL_RE.finditer(line):
            url = match.group(0).rstrip(TRAILING)
            spans.append(match.span())
            host = _host(url)
            if host:
                found.append(Found("url", url, host, path, number))
        for match in IPV4_RE.finditer(line):
            if any(start <= match.start() < end for start, end in spans):
                continue
            ip = _ip(match.group(0))
            if ip:
                found.append(Found("ip", ip, ip, path, number))
        if len(found) > MAX_PER_RELEASE:
            break
    return found


def find_endpoints(members: Iterable[Member]) -> list[Found]:
    """The endpoints of every code file (Python, scripts, ``.pth``, build configuration)."""
    found: list[Found] = []
    for member in members:
        if not is_code(member.path) or len(member.data) > MAX_FILE_BYTES:
            continue
        found.extend(find_in_text(member.path, member.data.decode("utf-8", "replace")))
        if len(found) > MAX_PER_RELEASE:
            break
    return found
