"""Credential files collected and uploaded: the file-level steal that name-level taint cannot follow.

A stealer often does not read a secret into a variable and send it: it copies shell histories, SSH keys,
cloud and browser stores into a folder, zips it, and sends the archive with ``curl -F file=@...`` from
``os.system``, or posts it with ``requests.post(url, files=...)``. The data then flows through the file
system, where the taint of flow.py does not reach. This check joins the two ends within one function (or
module-level code): a credential store's path spelled there (strings.CREDENTIAL_RE), and an upload to a
destination the package fixes: a shell command whose script kind is ``upload``, run by a process in the
same function, to a host outside well-known services that it spells (or, when it spells none, that
another literal of the function spells: the URL is often a separate piece of the command), or an HTTP
call with ``files=`` or ``data=open(...)`` to a fixed URL outside well-known hosts. It counts as
``code.exfil_flow`` at the upload, with the path's line in the message, and adds the
token ``flow:file_upload``.

Only files whose text names both a credential hint and an upload hint take part (state.upload_gate);
an upload to a caller-supplied URL (a backup tool's, an SDK's) is not one the package fixes.
"""

from __future__ import annotations

import ast
import re

from vetpy.features import strings as st
from vetpy.features.domains import is_well_known
from vetpy.features.scripts import has_script_kind
from vetpy.features.source.destinations import DestinationChecks
from vetpy.features.source.facts import Hit
from vetpy.features.source.state import credential_automaton
from vetpy.features.urls import find_urls
from vetpy.wordsearch import find_words

UPLOAD_TOKEN = "flow:file_upload"
_POSTS = frozenset({"post", "put", "request", "urlopen", "Request"})
_FILE_READS = frozenset({"open", "io.open", "builtins.open", "*.read", "*.read_bytes", "*.open"})
_PROCESS = frozenset({"code.subprocess", "code.os_system"})


def credential_path(value: str) -> re.Match[str] | None:
    """``strings.CREDENTIAL_RE.search(value)``, searched only when one of its literal hints is in the
    lower-cased string (every match holds one; the two non-ASCII letters the case-insensitive regex takes
    for ``i`` and ``s`` made those, and a string whose length lower-casing changes searched anyway): most
    strings of a file that names an upload hold none, and the regex is tried at every position."""
    low = value.lower()
    if len(low) == len(value):
        if not value.isascii():
            low = low.replace("\u0131", "i").replace("\u017f", "s")
        if not find_words(credential_automaton(), low, overlapping=False):
            return None
    return st.CREDENTIAL_RE.search(value)


def _hosts(text: str) -> tuple[bool, bool]:
    """Whether ``text`` names a URL's host at all, and whether one of them is not a well-known service's."""
    hosts = [hit.host for _, hit in find_urls(text)] if "://" in text else []
    return bool(hosts), any(not is_well_known(h) for h in hosts)


class UploadChecks(DestinationChecks):
    """Credential paths and uploads per function, joined at the end of the walk."""

    def upload_string(self, value: str, line: int) -> None:
        """A string constant: a credential store's path, or a shell command that uploads a file."""
        state = self.upload
        if self.func not in state.creds:
            found = credential_path(value)
            if found is not None:
                state.creds[self.func] = (line, found.group(0))
        named, outside = _hosts(value)
        if outside:
            state.urls.setdefault(self.func, line)
        if (
            self.func not in state.commands
            and (outside or not named)  # to an outside host, or to one spelled elsewhere (finish_upload)
            and len(value) >= 12
            and has_script_kind(value, "upload")
        ):
            state.commands[self.func] = (line, value.strip()[:80], outside)

    def upload_call(self, node: ast.Call, q: str, feats: tuple[str, ...]) -> None:
        """A process started (a shell upload's runner), or an HTTP file post to a fixed outside URL."""
        state = self.upload
        if _PROCESS.intersection(feats):
            state.processes.setdefault(self.func, node.lineno)
            return
        if "code.http" not in feats or q.rsplit(".", 1)[-1] not in _POSTS or self.func in state.posts:
            return
        if not any(self._posts_file(kw) for kw in node.keywords):
            return
        dest = self._destination(node)  # destinations.py's
        kind, text = self._classify(dest) if dest is not None else ("unknown", None)
        if kind == "fixed" and text and _hosts(text)[1]:
            state.posts[self.func] = (node.lineno, f"{q} of a file to {text[:60]}")

    def _posts_file(self, kw: ast.keyword) -> bool:
        if kw.arg == "files":
            return True
        if kw.arg != "data":
            return False
        return any(q in _FILE_READS for q, _ in self.subtree_calls(kw.value))

    def finish_upload(self) -> None:
        """Each function that spells a credential store's path and uploads to a fixed destination."""
        state = self.upload
        for func, (cred_line, cred) in state.creds.items():  # empty unless the gate was open
            upload = state.posts.get(func)
            command = state.commands.get(func) if func in state.processes else None
            if upload is None and command is not None and (command[2] or func in state.urls):
                upload = (command[0], f"a shell upload ({command[1]})")
            if upload is None:
                continue
            line, what = upload
            message = f"uploads files after naming a credential store ({cred!r} at line {cred_line}): {what}"
            snippet = self.lines.get(line)
            self.scan.add(Hit("code.exfil_flow", line, message, snippet), func is None)
            self.scan.add(Hit(UPLOAD_TOKEN, line, message, snippet))  # the evidence of the token
            self.scan.token(UPLOAD_TOKEN)
