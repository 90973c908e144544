"""Post flagged releases to a webhook as Slack-compatible JSON (``{"text": ...}``).

A failed post is reported to the caller as a one-line message and never stops the watcher. The webhook
URL is a secret (it authorises posting): it is never printed or logged.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from vetpy.result import ScanResult, one_line

USER_AGENT = "vetpy (static malicious-package scanner)"
MAX_REASONS = 3


def _escape(text: object) -> str:
    """Text safe for Slack's markup: ``&``, ``<`` and ``>`` escaped (no links or mentions smuggled in)."""
    return one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message(result: ScanResult, filename: str) -> str:
    """The alert's text: what was flagged, why, and where."""
    release = f"{result.name}=={result.version}" if result.name and result.version else result.target
    score = "n/a" if result.score is None else f"{result.score:.3f}"
    lines = [f"vetpy flagged {_escape(release)} ({_escape(filename)}): score {score}"]
    if result.known_malicious:
        lines.append(f"known malicious: {_escape(', '.join(result.known_malicious))}")
    for reason in result.reasons[:MAX_REASONS]:
        where = f" ({_escape(reason.file)}:{reason.line})" if reason.file and reason.line else ""
        lines.append(f"- {_escape(reason.feature)}: {_escape(reason.message)}{where}")
    return "\n".join(lines)


def post(url: str, text: str, timeout: float = 5.0) -> str | None:
    """POST ``{"text": text}``; None on success, else a one-line reason (without the URL)."""
    body = json.dumps({"text": text}).encode()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(65536)
    except urllib.error.HTTPError as exc:
        return f"webhook answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        # only the kind of failure: some messages quote the URL, and the URL is a secret
        reason = getattr(exc, "reason", exc)
        detail = reason.strerror if isinstance(reason, OSError) and reason.strerror else None
        return one_line(f"webhook unreachable: {detail or type(reason).__name__}")
    return None
