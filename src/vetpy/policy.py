"""Hard findings: signals that make a package malicious whatever the model's score.

Each is something no honest package needs and an attacker gains from, found while reading the archive as
pip would: a polyglot archive (two readers see two packages), a link leaving the archive, sourceless
bytecode where pip would import it, source in an encoding that hides it, a data file that code runs
holding payload-like code, or an in-tree build backend that reaches the network or hides code; and, from
the features, code that sends a wallet's private key or recovery phrase to a host written into the package
(``flow:custody_to_fixed``, features/source/custody.py), the host's identity resolved in a DNS name under
(or host data sent to) a beacon's receiver (``flow:identity_to_infra``, features/source/beacon.py), a
clipboard hijacker (``flow:clipboard_hijack``, features/source/clipboard.py), and a payload (code that
downloads or runs code) written into a start-up location, or anything written into ``authorized_keys``
(``flow:persistence_payload``, features/source/persistence.py), and an encoded constant hiding a
downloader, a hidden command, a credential path or an exfiltration endpoint (``flow:hidden_payload``,
features/source/hidden.py), and a function that names a credential store and uploads files to a destination
the package fixes (``flow:file_upload``, features/source/upload.py). Every finding comes with a message and
the file that shows it.
"""

from __future__ import annotations

from vetpy.acquire.interface import Archive, CodeView, Finding
from vetpy.features.interface import PackageFeatures
from vetpy.features.source.beacon import BEACON_TOKEN
from vetpy.features.source.clipboard import CLIPBOARD_TOKEN
from vetpy.features.source.custody import CUSTODY_TOKEN
from vetpy.features.source.facts import FileFacts
from vetpy.features.source.hidden import HIDDEN_KINDS, HIDDEN_TOKEN
from vetpy.features.source.persistence import PAYLOAD_TOKEN
from vetpy.features.source.scan import scan_source
from vetpy.features.source.upload import UPLOAD_TOKEN
from vetpy.result import Reason

#: What makes code that runs at install or build time payload-like, by where it comes from.
_PAYLOAD = {
    # Honest packages do run data files (git-review's setup.py execs its own script for the version)
    # and honest backends download sources (PyMuPDF): only hiding and stealing count here.
    "executed_data": frozenset(
        {"code.decode_exec", "code.reverse_shell", "code.credential_read", "code.startup_write"}
    ),
    "build_backend": frozenset(
        {
            "code.decode_exec",
            "code.reverse_shell",
            "code.download_exec",
            "code.credential_read",
            "code.startup_write",
        }
    ),
}
_WHAT = {"executed_data": "a data file run as code", "build_backend": "the in-tree build backend"}
#: The walk's download-and-run that only says a file both makes a network request and starts a process:
#: an honest backend that fetches its sources and builds them does both (cmake's fetches its own tarball,
#: checked against a digest, and runs its bootstrap). A backend's download counts when it runs what it
#: fetched (exec of the response, a started downloader of a program, a download cradle).
CO_OCCURRENCE = "network request plus process/exec in one file"


def _counted(scan: FileFacts, feature: str) -> bool:
    """Whether ``feature`` has a strong hit other than the co-occurrence above (added once per file)."""
    plain = sum(1 for h in scan.examples.get(feature, ()) if h.strong and h.message == CO_OCCURRENCE)
    return scan.strong.get(feature, 0) > plain


def _payload(view: CodeView) -> Finding | None:
    kinds = _PAYLOAD.get(view.role)
    if kinds is None or (view.role == "build_backend" and view.source.endswith("setup.py")):
        return None  # a setup.py backend is judged as setup.py by the model
    scan = scan_source(view.path, view.data.decode("utf-8", "replace"), data=view.data)
    active = sorted(f for f in kinds if _counted(scan, f))
    if not active:
        return None
    hits = (h for f in active for h in scan.examples.get(f, ()) if h.message != CO_OCCURRENCE)
    first = min(hits, key=lambda h: h.line, default=None)
    message = f"{_WHAT[view.role]} ({view.source}) runs at install or build time and does: " + ", ".join(
        a.split(".", 1)[1] for a in active
    )
    return Finding(view.role, message, view.source, first.line if first else None)


def hard_findings(archive: Archive) -> tuple[Finding, ...]:
    """Every hard finding of an opened archive (from reading it, and from its code views)."""
    found = list(archive.findings)
    for view in archive.views:
        finding = _payload(view)
        if finding is not None:
            found.append(finding)
    return tuple(found)


#: Findings read from the features: a code token whose evidence (file:line) names where the code does it.
#: The lab scores the same table from cached features, where only the token is kept (``token_findings``).
FEATURE_FINDINGS: dict[str, str] = {
    # an honest wallet signs locally, or sends to the address its caller gives
    CUSTODY_TOKEN: "custody_exfil",
    # the host's identity (user, host name, ...) in a DNS name resolved under an OAST, request-bin, tunnel
    # or dynamic-DNS domain, or host data sent to such a host: a dependency-confusion probe reporting home
    BEACON_TOKEN: "dns_beacon",
    # a module that reads and writes the clipboard and holds a wallet address or a pattern of one
    CLIPBOARD_TOKEN: "clipboard_hijack",
    # an honest installer's start-up entry runs the program it installed
    PAYLOAD_TOKEN: "persistence_payload",
    # an honest package writes its commands and addresses as they are; encoding a downloader, a hidden
    # PowerShell command, a credential path or an exfiltration endpoint only hides it from readers
    HIDDEN_TOKEN: "hidden_payload",
    # an honest tool uploads what its user chose to where its user says; naming a credential store and
    # uploading files to a host written into the package, in one function, is a stealer's collect-and-send
    UPLOAD_TOKEN: "credential_upload",
}
#: The cached tokens that show a finding whose own token is evidence only (cached features keep tokens).
FINDING_TOKENS: dict[str, frozenset[str]] = {
    **{token: frozenset({token}) for token in FEATURE_FINDINGS},
    HIDDEN_TOKEN: frozenset(HIDDEN_KINDS),
}


def feature_findings(features: PackageFeatures) -> tuple[Finding, ...]:
    """The hard findings the features show, each at the first place its code does it (``custody_exfil``:
    a wallet's private key or seed phrase sent to a host written into the package; ``dns_beacon``;
    ``clipboard_hijack``; ``persistence_payload``: a download cradle or a program that runs fetched or
    decoded code written into a start-up location, or a write into ``authorized_keys``; ``hidden_payload``:
    an encoded constant that decodes to a downloader, a hidden command, a credential path or an exfiltration
    endpoint, features/source/hidden.py; ``credential_upload``: credential stores named and files uploaded
    to a fixed destination in one function, features/source/upload.py)."""
    found = []
    for token, kind in FEATURE_FINDINGS.items():
        first = next(iter(features.evidence_for(token)), None)
        if first is not None:
            found.append(Finding(kind, first.message, first.file, first.line))
    return tuple(found)


def token_findings(code_text: str) -> tuple[str, ...]:
    """The kinds of :data:`FEATURE_FINDINGS` that ``code_text`` shows by one of its :data:`FINDING_TOKENS`
    (cached features keep the tokens, not the evidence)."""
    tokens = set(code_text.split())
    return tuple(kind for token, kind in FEATURE_FINDINGS.items() if tokens & FINDING_TOKENS[token])


def policy_reasons(findings: tuple[Finding, ...]) -> tuple[Reason, ...]:
    """The findings as reasons (``policy.<kind>``), one per kind, in the order found."""
    seen: dict[str, Reason] = {}
    for f in findings:
        seen.setdefault(f.kind, Reason(f"policy.{f.kind}", f.message, f.file, f.line))
    return tuple(seen.values())
