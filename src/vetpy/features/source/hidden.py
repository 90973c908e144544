"""Hidden payloads: a constant the package encodes (base64, hex, zlib, reversed, character codes, ...) whose
decoded text downloads and runs code, runs a hidden PowerShell command, reads credentials, writes a start-up
location, tampers with the antivirus, side-loads a browser extension, opens a reverse shell or names a
chat-bot, file-drop, paste, tunnel or raw-IP destination.

An honest package has nothing to gain from encoding any of these (a command or an address it needs can be
written as it is); malware encodes them so that a reader, or a scanner reading literals, does not see them.
What is decoded, and how, is :func:`vetpy.features.scripts.decoded_texts` and ``rescan_tokens``; this module
only names which of their ``decoded:`` tokens count and records where (evidence, no token and no registry
value: the model's inputs do not change). ``policy.hidden_payload`` is the hard finding it gives.
"""

from __future__ import annotations

from vetpy.features import strings as st
from vetpy.features.source.facts import FactsBuilder, Hit

HIDDEN_TOKEN = "flow:hidden_payload"

#: ``decoded:`` tokens that make an encoded constant a hidden payload, with the words its evidence uses.
#: On the development data (main's extractor, 2026-12-02) each is held by no release of the three benign
#: lists (11,982) and together by 7,062 of the 10,682 malicious ones (2,180 of 4,972 near-duplicate
#: clusters). Left out: a decoded plain URL (one benign release) and decoded Python code (admin and
#: deployment tools ship encoded helper programs), which the model weighs instead.
HIDDEN_KINDS: dict[str, str] = {
    "decoded:download_run": "download-and-run",
    "decoded:script:powershell": "PowerShell command (Invoke-Expression, hidden window or encoded)",
    "decoded:script:lolbin": "script-host launcher",
    "decoded:script:av_tamper": "antivirus or firewall tampering",
    "decoded:script:browser_hijack": "browser extension side-loading",
    "decoded:script:persistence": "persistence entry",
    "decoded:script:upload": "upload of a local file",
    "decoded:credential_path": "credential or wallet path",
    "decoded:startup_path": "start-up location",
    "decoded:shell": "reverse shell",
    "decoded:ip_lookup": "public-IP look-up",
    "decoded:infra:ip_lookup": "public-IP look-up",
    "decoded:url_raw_ip": "URL to a raw IP address",
    "decoded:infra:chat_bot": "chat-bot or webhook endpoint",
    "decoded:infra:file_drop": "file-drop host",
    "decoded:infra:paste": "paste site",
    "decoded:infra:tunnel": "tunnel host",
    "decoded:infra:dyndns": "dynamic-DNS host",
    "decoded:infra:oast": "interaction-capture (OAST) host",
    "decoded:infra:request_bin": "request-bin host",
}


def note_hidden(scan: FactsBuilder, tokens: set[str], line: int, decoded: str) -> None:
    """Evidence of a hidden payload at ``line`` when the ``decoded:`` tokens of one constant (``tokens``)
    hold one of :data:`HIDDEN_KINDS`; ``decoded`` is the decoded text, shown as the snippet and named in
    the message (what the literal hides is the point)."""
    kinds = sorted({HIDDEN_KINDS[t] for t in tokens if t in HIDDEN_KINDS})
    if kinds:
        shown = st.snippet(" ".join(decoded[:400].split()))
        message = (
            "an encoded string decodes to a hidden "
            + ", ".join(kinds)
            + (f": {shown[:100]}" if shown else "")
        )
        scan.add(Hit(HIDDEN_TOKEN, line, message, shown))
