"""Process and network detectors: subprocesses, shells, sockets, HTTP, suspicious hosts, download-and-run,
and network/process calls fed with run-time decoded data.

Call signals come from the source pass (tables in :mod:`vetpy.features.calls`); URL signals from URLs in
code and text files; shell and download patterns also from non-Python scripts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vetpy.features.interface import Family, ValueKind, spec
from vetpy.features.source.text import PY_SUFFIXES

if TYPE_CHECKING:
    from vetpy.features.collect import Collector
    from vetpy.features.gather import PackageFacts

_N, _LOG, _FLAG = Family.NETWORK, ValueKind.LOG_COUNT, ValueKind.FLAG
SPECS = (
    spec(
        "code.subprocess",
        _N,
        _LOG,
        "subprocess calls",
        "droppers start the downloaded or embedded program",
        signal="starts a process",
    ),
    spec(
        "code.os_system",
        _N,
        _LOG,
        "os.system / os.popen / os.exec*",
        "shell commands run anything the attacker wrote",
        signal="runs a shell command",
    ),
    spec(
        "code.reverse_shell",
        _N,
        _FLAG,
        "pty.spawn, socket + dup2, shell one-liners, or a command received from the network run",
        "a reverse shell hands the machine to a remote operator",
        signal="reverse-shell pattern",
    ),
    spec(
        "code.socket",
        _N,
        _LOG,
        "raw socket use",
        "raw sockets carry reverse shells and exfiltration",
        signal="opens a raw socket",
    ),
    spec(
        "code.http",
        _N,
        _LOG,
        "HTTP requests (urllib, requests, http.client, httpx)",
        "payloads are downloaded and stolen data uploaded over HTTP",
        signal="makes a network request",
    ),
    spec(
        "code.raw_ip",
        _N,
        _LOG,
        "a raw IP address in code",
        "command-and-control servers are often addressed by bare IP",
    ),
    spec(
        "code.webhook",
        _N,
        _LOG,
        "Discord/Telegram/Slack webhook or bot API URLs",
        "webhooks are the favourite drop box for stolen tokens and data",
    ),
    spec(
        "code.paste_site",
        _N,
        _LOG,
        "paste sites and file drops (pastebin, transfer.sh, ...)",
        "second stages are hosted on paste sites and file drops",
    ),
    spec(
        "code.unusual_host",
        _N,
        _LOG,
        "URLs to hosts outside the well-known domain list",
        "attacker infrastructure sits on hosts ordinary projects do not use",
    ),
    spec(
        "code.download_exec",
        _N,
        _FLAG,
        "download then write/execute pattern",
        "download-and-run is the dropper's whole job",
        signal="downloads and runs something",
    ),
    spec(
        "code.decoded_sink",
        _N,
        _FLAG,
        "a network/process call whose target or payload is decoded at run time (also through a local helper)",
        "hiding the URL or command behind decoding is only needed when it would give the game away",
        signal="network/process call on run-time decoded data",
    ),
)

_HTTP = (
    "urllib.request.urlopen",
    "urllib.request.urlretrieve",
    "urllib.request.Request",
    "urllib.request.build_opener",
    "urllib.urlopen",
    "urllib.urlretrieve",
    "urllib2.urlopen",
    "urllib2.Request",
    "http.client.HTTPConnection",
    "http.client.HTTPSConnection",
    "httplib.HTTPConnection",
    "httplib.HTTPSConnection",
    "wget.download",
    "aiohttp.ClientSession",
    "aiohttp.request",
    "urllib3.PoolManager",
    "urllib3.request",
    "pycurl.Curl",
    "ftplib.FTP",
    "smtplib.SMTP",
    "smtplib.SMTP_SSL",
    "telnetlib.Telnet",
    "paramiko.SSHClient",
    "dns.resolver.resolve",
    "dns.resolver.query",
)
_OS_SYSTEM = (
    "os.system",
    "os.popen",
    "os.popen2",
    "os.popen3",
    "os.popen4",
    "os.startfile",
    "commands.getoutput",
    "commands.getstatusoutput",
    "popen2.popen2",
    "popen2.popen3",
    "posix.system",
    "nt.system",
)
#: Calls (resolved through import aliases) that count towards this family's features.
CALLS: dict[str, tuple[str, ...]] = {
    "pty.spawn": ("code.reverse_shell",),
    "socket.socket": ("code.socket",),
    "socket.create_connection": ("code.socket",),
    "socket.fromfd": ("code.socket",),
    **{n: ("code.http",) for n in _HTTP},
    **{n: ("code.os_system",) for n in _OS_SYSTEM},
}
#: Call-name prefixes (the first that matches wins, after CALLS of every family).
CALL_PREFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("subprocess.", ("code.subprocess",)),
    ("os.exec", ("code.os_system",)),
    ("os.spawn", ("code.os_system",)),
    ("os.posix_spawn", ("code.os_system",)),
    ("requests.", ("code.http",)),
    ("httpx.", ("code.http",)),
)

URL_FEATURES = ("code.raw_ip", "code.webhook", "code.paste_site", "code.unusual_host")


def detect_scripts(facts: PackageFacts, out: Collector) -> None:
    """Download-and-run and shell patterns in non-Python scripts."""
    for s in facts.scripts:
        out.fire(s.feature, f"script {s.path}: {s.matched[:60]!r}", s.path, s.line, s.line_text)


def detect_urls(facts: PackageFacts, out: Collector) -> None:
    """URL categories (distinct hosts per category) and the paper's suspicious-URL flag (code only)."""
    hosts: dict[str, set[str]] = {f: set() for f in URL_FEATURES}
    for path, line, hit in facts.url_hits:
        for tok in hit.tokens():
            out.token(tok)
        for feature in hit.features():
            hosts[feature].add(hit.host)
            out.note(
                feature, f"{feature.split('.')[1].replace('_', ' ')}: {hit.text[:100]}", path, line, hit.text
            )
        if hit.suspicious and path.endswith(PY_SUFFIXES):  # the paper's feature is about code
            why = "raw IP" if hit.raw_ip else "insecure scheme" if hit.insecure else "unknown domain"
            out.fire(
                "paper.suspicious_url", f"suspicious URL ({why}): {hit.text[:100]}", path, line, hit.text
            )
    for feature, seen in hosts.items():
        out.count(feature, len(seen))
