"""Hard findings: signals that make a package malicious whatever the model's score.

Each is something no honest package needs and an attacker gains from, found while reading the archive as
pip would: a polyglot archive (two readers see two packages), a link leaving the archive, sourceless
bytecode where pip would import it, source in an encoding that hides it, a data file that code runs
holding payload-like code, or an in-tree build backend that reaches the network or hides code; and, from
the features, code that sends a wallet's private key or recovery phrase to a host written into the package
(``flow:custody_to_fixed``, features/source/custody.py), the host's identity resolved in a DNS name under
(or sent to) a beacon's receiver (``flow:identity_to_infra``, features/source/beacon.py), and a clipboard
hijacker (``flow:clipboard_hijack``, features/source/clipboard.py). Every finding comes with a message and
the file that shows it.
"""

from __future__ import annotations

from vetpy.acquire.interface import Archive, CodeView, Finding
from vetpy.features.interface import PackageFeatures
from vetpy.features.source.beacon import BEACON_TOKEN
from vetpy.features.source.clipboard import CLIPBOARD_TOKEN
from vetpy.features.source.custody import CUSTODY_TOKEN
from vetpy.features.source.scan import scan_source
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


def _payload(view: CodeView) -> Finding | None:
    kinds = _PAYLOAD.get(view.role)
    if kinds is None or (view.role == "build_backend" and view.source.endswith("setup.py")):
        return None  # a setup.py backend is judged as setup.py by the model
    scan = scan_source(view.path, view.data.decode("utf-8", "replace"), size=len(view.data))
    active = sorted(f for f in kinds if scan.has_strong(f))
    if not active:
        return None
    first = min((h for f in active for h in scan.examples.get(f, [])), key=lambda h: h.line, default=None)
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


def custody_findings(features: PackageFeatures) -> tuple[Finding, ...]:
    """``custody_exfil`` when the code sends a wallet's private key or seed phrase to a host written into
    the package (the first place it does, by file and line): an honest wallet signs locally, or sends to
    the address its caller gives."""
    return _token_finding(features, CUSTODY_TOKEN, "custody_exfil")


def dns_beacon_findings(features: PackageFeatures) -> tuple[Finding, ...]:
    """``dns_beacon`` when the code puts the host's identity (user, host name, ...) in a DNS name it
    resolves under an OAST, request-bin, tunnel or dynamic-DNS domain, or sends host data to such a host:
    a dependency-confusion probe reporting where it was installed."""
    return _token_finding(features, BEACON_TOKEN, "dns_beacon")


def clipboard_findings(features: PackageFeatures) -> tuple[Finding, ...]:
    """``clipboard_hijack`` when a module reads and writes the clipboard and holds a wallet address or a
    pattern of one: it swaps copied addresses for the attacker's."""
    return _token_finding(features, CLIPBOARD_TOKEN, "clipboard_hijack")


def code_findings(features: PackageFeatures) -> tuple[Finding, ...]:
    """The hard findings read off the features' evidence (custody, DNS beacon, clipboard hijack)."""
    return custody_findings(features) + dns_beacon_findings(features) + clipboard_findings(features)


def _token_finding(features: PackageFeatures, token: str, kind: str) -> tuple[Finding, ...]:
    """One finding of ``kind`` at the first evidence of ``token`` (its file and line), if any."""
    first = next(iter(features.evidence_for(token)), None)
    if first is None:
        return ()
    return (Finding(kind, first.message, first.file, first.line),)


def policy_reasons(findings: tuple[Finding, ...]) -> tuple[Reason, ...]:
    """The findings as reasons (``policy.<kind>``), one per kind, in the order found."""
    seen: dict[str, Reason] = {}
    for f in findings:
        seen.setdefault(f.kind, Reason(f"policy.{f.kind}", f.message, f.file, f.line))
    return tuple(seen.values())
