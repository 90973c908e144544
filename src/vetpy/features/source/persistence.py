"""Paths built at run time (pathtext.py) through the same path/command patterns as string literals, and
file writes into start-up (persistence) locations.

A path built by a join, ``/`` or ``+`` is read into its text at the outermost expression and scanned like
a built string (evidence at its line); only patterns no part of it showed alone count. A file written
(``open(p, "w"|"a"|...)`` then ``.write``, ``Path.write_text``/``write_bytes``, ``shutil.copy``/``move``)
whose destination is a start-up location (the Windows Startup folder, ``authorized_keys``, a shell's rc
file, systemd units, LaunchAgents, cron, an autostart ``.desktop``) counts as ``code.startup_write`` and
adds the token ``flow:persistence_write``; when what is written is payload-like (it downloads or runs
code), or it is an SSH public key the package holds written into ``authorized_keys`` (a key the code reads
or makes is how VM and cluster tools add their user's own), the token ``flow:persistence_payload`` with
its evidence, which :mod:`vetpy.policy` makes a hard finding.
"""

from __future__ import annotations

import ast
import re
from collections import ChainMap

from vetpy.features import calls
from vetpy.features import strings as st
from vetpy.features.source.facts import Hit
from vetpy.features.source.fold import Folder, subtree
from vetpy.features.source.folding import FoldChecks
from vetpy.features.source.literals import scan_patterns_once
from vetpy.features.source.pathtext import ROOT_ATTRS, ROOTS, PathText, call_named, path_root

PERSIST_TOKEN = "flow:persistence_write"
PAYLOAD_TOKEN = "flow:persistence_payload"
OPENS = frozenset({"open", "io.open", "builtins.open", "codecs.open", "*.open"})
WRITES = frozenset({"*.write", "*.writelines"})
PATH_WRITES = frozenset({"*.write_text", "*.write_bytes"})
COPIES = frozenset(
    {"shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.move", "os.rename", "os.replace"}
)
DOWNLOADS = frozenset({"urllib.request.urlretrieve", "urllib.urlretrieve"})
_REG = ("winreg", "_winreg")
REG_OPENS = frozenset(f"{m}.{f}" for m in _REG for f in ("OpenKey", "OpenKeyEx", "CreateKey", "CreateKeyEx"))
REG_SETS = frozenset(f"{m}.{f}" for m in _REG for f in ("SetValueEx", "SetValue"))
#: Registry keys whose values Windows runs at log-on.
RUN_KEY_RE = re.compile(
    r"currentversion[/\\]+(?:run|runonce|runservices|runservicesonce|policies[/\\]+explorer[/\\]+run)"
    r"(?![a-z])|currentversion[/\\]+winlogon",
    re.IGNORECASE,
)
#: Calls the path checks look at (walker.call_profile routes them to :meth:`PathChecks.fold_call`).
PATH_CALLS = ROOTS | OPENS | WRITES | PATH_WRITES | COPIES | DOWNLOADS | REG_OPENS | REG_SETS
PERSIST_RE = re.compile(
    r"start menu[/\\]+programs[/\\]+startup|authorized_keys|"
    r"(?:^|[/\\])\.(?:bashrc|bash_profile|bash_login|zshrc|zprofile|zshenv|profile)$|"
    r"systemd[/\\]+(?:user|system)(?:[/\\]|$)|launchagents|launchdaemons|^/etc/cron|/var/spool/cron|"
    r"^/etc/rc\.local|^/etc/init\.d|^/etc/profile|[/\\]autostart(?:[/\\]|$)",
    re.IGNORECASE,
)
#: Written content that downloads or runs code (besides strings.DOWNLOAD_RUN_RE and SHELL_RE).
PAYLOAD_RE = re.compile(
    r"\b(?:exec|eval)\s*\(|\b(?:pickle|marshal)\.loads\b|\b__import__\s*\(|urlopen\(.{0,300}?\)\.read\(|"
    r"(?i:\biex\b|invoke-expression|downloadstring|base64\s+(?:-d|--decode)\b[^\n]{0,200}?\|\s*(?:ba|z)?sh\b)"
)
#: An SSH public key spelled out: written into ``authorized_keys``, it lets its owner log in (a key the code
#: reads or makes, as a VM or cluster tool writes its user's own, is not one the package holds).
PUBLIC_KEY_RE = re.compile(
    r"\b(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com)\s+AAAA[0-9A-Za-z+/]{12,}"
)
_OPEN_ATTRS = frozenset({"open"})
_ASSIGNED_ATTRS = ROOT_ATTRS | _OPEN_ATTRS  # ``name = <call>``: the calls read there (a path, a file opened)
_BODY_ATTRS = frozenset({"content", "text", "data", "body", "raw"})  # of a response
_BODY_METHODS = frozenset({"read", "decode", "encode", "iter_content", "readall"})
#: Calls whose result may be a response or its body (``name = <call>`` is kept for :meth:`downloaded`).
_FETCH_NAMES = (
    _BODY_METHODS
    | {q.rsplit(".", 1)[-1] for q, feats in calls.EXACT.items() if "code.http" in feats}
    | {"get", "post", "put", "request", "urlopen", "Session", "Request", "Client", "AsyncClient", "stream"}
)
#: Reads of a whole file by its path object (``Path(p).read_text()``).
PATH_READS = frozenset({"*.read_text", "*.read_bytes"})
#: A file of secrets an honest package reads only to use them: the credential stores of strings.py, and a
#: project's ``.env``.
_DOTENV_RE = re.compile(r"(?:^|[/\\])\.env$")
_MODE_RE = re.compile(r"[rwaxbtU+]{1,4}")
_WRITE_MODE = frozenset("wax+")
MAX_CONTENT = 20_000


def persistence_place(path: str) -> bool:
    """Whether a (built) path names a start-up location or a file in one."""
    return PERSIST_RE.search(path) is not None


def payload_like(text: str) -> bool:
    """Whether written text downloads or runs code: a download cradle, ``exec``/``eval`` or
    ``pickle``/``marshal.loads`` in a program, PowerShell ``IEX``/``DownloadString``, a reverse shell."""
    head = text[:MAX_CONTENT]
    return any(p.search(head) for p in (PAYLOAD_RE, st.DOWNLOAD_RUN_RE, st.SHELL_RE))


def _mode(node: ast.Call, at: int) -> str:
    """The constant mode of an ``open`` call (its argument ``at`` or ``mode=``), else ""."""
    arg = node.args[at] if len(node.args) > at else _keyword(node, "mode")
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and _MODE_RE.fullmatch(arg.value):
        return arg.value
    return ""


def _keyword(node: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in node.keywords if k.arg == name), None)


class PathChecks(FoldChecks):
    """Built paths read as text, and what the module writes into start-up locations."""

    def path_name(self, name: str) -> str | None:
        """The text a name holds: a path or text assigned in this function or at module level."""
        texts = self.paths.texts
        found = texts.get((self.func, name))
        if found is None:
            found = texts.get((None, name))
        if found is None:
            value = self.fold_constants.get(name)
            found = value if isinstance(value, str) else None
        return found

    def is_path_name(self, name: str) -> bool:
        return (self.func, name) in self.paths.texts or (None, name) in self.paths.texts

    def path_text(self, node: ast.expr, top: bool) -> str | None:
        """The text ``node`` builds; at the outermost path expression, scanned for path/command patterns
        no part of it showed alone (with the expression's line as evidence)."""
        reader = PathText(self.resolve, self.path_name)
        text = reader.read(node)
        done = self.paths.done
        if text is None or id(node) in done or not path_root(node, self.resolve, self.is_path_name):
            return text
        done.update(id(sub) for sub in subtree(node, 400))
        scan_patterns_once(self.scan, text, getattr(node, "lineno", 0), self.lines, reader.leaves, top)
        return text

    def note_path_var(self, target: str, value: ast.expr, top: bool) -> None:
        """``name = <text constant | built path | open for writing | response body>``: what the name holds
        from now on (a name bound to anything else forgets it)."""
        paths = self.paths
        key = (self.func, target)
        if paths.opened:
            paths.opened.pop(key, None)
        kind = type(value)
        fetched = False
        if kind is ast.Constant:
            text = value.value  # type: ignore[attr-defined]
            if self.func is not None and type(text) is str and len(text) <= MAX_CONTENT:
                paths.texts[key] = text
                return
        elif kind is ast.Call:
            func = value.func  # type: ignore[attr-defined]
            last = func.attr if type(func) is ast.Attribute else getattr(func, "id", "")
            fetched = last in _FETCH_NAMES
            q = call_named(value, _ASSIGNED_ATTRS, self.resolve)  # type: ignore[arg-type]
            if q in OPENS:
                opened = self.opened(value, top)  # type: ignore[arg-type]
                if opened is not None:
                    paths.opened[key] = opened
            elif q in ROOTS and self.keep_path(key, value, top):
                return
        elif kind is ast.Attribute:
            fetched = value.attr in _BODY_ATTRS  # type: ignore[attr-defined]
        elif (
            kind is ast.BinOp
            and path_root(value, self.resolve, self.is_path_name)
            and self.keep_path(key, value, top)
        ):
            return
        if fetched:
            paths.values[key] = value  # read back only for a write into a start-up location
        elif paths.values:
            paths.values.pop(key, None)
        if paths.texts:
            paths.texts.pop(key, None)

    def keep_path(self, key: tuple[str | None, str], value: ast.expr, top: bool) -> bool:
        """Read (and scan) a built path assigned to ``key``'s name and keep its text there."""
        text = self.path_text(value, top)
        if text is not None:
            self.paths.texts[key] = text
        return text is not None

    def visit_with(self, node: ast.With | ast.AsyncWith, top: bool) -> None:
        """``with open(<start-up location>, "a") as fh``: ``fh`` is written there; ``with open(<credential
        file>) as fh``: what is read from ``fh`` is host data (flow.py)."""
        for item in node.items:
            call = item.context_expr
            if type(call) is ast.Call and call_named(call, _OPEN_ATTRS, self.resolve) in OPENS:
                opened = self.opened(call, top)
                if type(item.optional_vars) is not ast.Name:
                    continue
                if opened is not None:
                    self.paths.opened[(self.func, item.optional_vars.id)] = opened
                elif self.track_flow and self.credential_file(call, self.resolve(call.func) or ""):
                    self.sourced[item.optional_vars.id] = False

    def credential_file(self, node: ast.Call, q: str) -> str | None:
        """The path of a credential file (a store of strings.CREDENTIAL_RE, or ``.env``) the call opens for
        reading or reads whole, else None."""
        if q in PATH_READS:
            dest: ast.expr | None = node.func.value if isinstance(node.func, ast.Attribute) else None
        elif q in OPENS:
            method = q == "*.open"
            if _WRITE_MODE.intersection(_mode(node, 0 if method else 1)):
                return None
            if method and isinstance(node.func, ast.Attribute):
                dest = node.func.value
            else:
                dest = node.args[0] if node.args else _keyword(node, "file")
        else:
            return None
        text = None if dest is None else PathText(self.resolve, self.path_name).read(dest)
        if text and (st.CREDENTIAL_RE.search(text) or _DOTENV_RE.search(text)):
            return text
        return None

    def visit_binop(self, node: ast.BinOp, top: bool) -> None:
        op = type(node.op)
        if (
            (op is ast.Div or (op is ast.Add and id(node) not in self.folded))  # inner + of a chain: read
            and id(node) not in self.paths.done
            and path_root(node, self.resolve, self.is_path_name)
        ):
            self.path_text(node, top)
        super().visit_binop(node, top)  # the string folder reads its runs of constants as before

    def fold_call(self, node: ast.Call, q: str, top: bool) -> None:
        if q in PATH_CALLS and id(node) not in self.paths.done:
            if q in OPENS:
                self.opened(node, top)
            elif q in WRITES or q in PATH_WRITES:
                self.visit_write(node, q, top)
            elif q in COPIES or q in DOWNLOADS:
                dest = (
                    node.args[1]
                    if len(node.args) > 1
                    else _keyword(node, "filename" if q in DOWNLOADS else "dst")
                )
                where = None if dest is None else self.persistent(dest, node, top)
                if where is not None and q in DOWNLOADS:
                    self.payload(node.lineno, f"downloads into a start-up location ({where[0][:60]!r})")
            elif q in REG_OPENS or q in REG_SETS:
                self.registry_call(node, q, top)
            else:
                self.path_text(node, top)
        super().fold_call(node, q, top)

    def opened(self, node: ast.Call, top: bool) -> tuple[str, int] | None:
        """A file opened for writing in a start-up location: its path and line (noted), else None."""
        self.paths.done.add(id(node))
        method = isinstance(node.func, ast.Attribute) and self.resolve(node.func) == "*.open"
        if not _WRITE_MODE.intersection(_mode(node, 0 if method else 1)):
            return None
        if isinstance(node.func, ast.Attribute) and method:
            dest: ast.expr | None = node.func.value
        else:
            dest = node.args[0] if node.args else _keyword(node, "file")
        return None if dest is None else self.persistent(dest, node, top)

    def visit_write(self, node: ast.Call, q: str, top: bool) -> None:
        """``fh.write(x)`` to a file opened in a start-up location, ``open(..).write(x)``, or
        ``path.write_text(x)``: what is written, checked for a payload."""
        receiver = node.func.value  # type: ignore[attr-defined]
        where: tuple[str, int] | None = None
        if q in PATH_WRITES:
            where = self.persistent(receiver, node, top)
        elif type(receiver) is ast.Name:
            opened = self.paths.opened
            where = opened.get((self.func, receiver.id)) or opened.get((None, receiver.id))
        elif type(receiver) is ast.Call and (self.resolve(receiver.func) or "") in OPENS:
            where = self.opened(receiver, top)
        if where is None or not node.args:
            return
        content = self.content(node.args[0])
        if content is not None and payload_like(content):
            message = f"writes code that downloads or runs code into a start-up location ({where[0][:60]!r})"
            self.payload(node.lineno, message)
        elif content is not None and "authorized_keys" in where[0].lower() and PUBLIC_KEY_RE.search(content):
            key_message = f"writes a public key it holds into authorized_keys ({where[0][:60]!r})"
            self.payload(node.lineno, key_message)
        elif self.downloaded(node.args[0], 0):
            self.payload(
                node.lineno, f"writes what it downloaded into a start-up location ({where[0][:60]!r})"
            )

    def downloaded(self, node: ast.expr, depth: int) -> bool:
        """Whether ``node`` is a response body as it came (``urlopen(u).read()``, ``requests.get(u).content``,
        a name assigned one in this function), not a text built from one (a version in a PATH line)."""
        while depth < 8:
            depth += 1
            kind = type(node)
            if kind is ast.Name:
                values = self.paths.values
                found = values.get((self.func, node.id)) or values.get((None, node.id))  # type: ignore[attr-defined]
                if found is None:
                    return False
                node = found
            elif kind is ast.Attribute and node.attr in _BODY_ATTRS:  # type: ignore[attr-defined]
                node = node.value  # type: ignore[attr-defined]
            elif kind is ast.Call:
                func = node.func  # type: ignore[attr-defined]
                q = self.resolve(func) or ""
                if "code.http" in calls.features_for(q):
                    return True
                if not (isinstance(func, ast.Attribute) and func.attr in _BODY_METHODS):
                    return False
                node = func.value
            else:
                return False
        return False

    def registry_call(self, node: ast.Call, q: str, top: bool) -> None:
        """A Run key opened in this function (``OpenKey(HKCU, r"...\\CurrentVersion\\Run")``), or a value set
        under one (``SetValueEx`` on it, ``SetValue`` naming it): a start-up write; a payload when the
        command stored downloads or runs code."""
        sub_key = node.args[1] if len(node.args) > 1 else _keyword(node, "sub_key")
        text = None if sub_key is None else self.content(sub_key)
        run_key = text if text is not None and RUN_KEY_RE.search(text) else None
        if q in REG_OPENS:
            if run_key is not None:
                self.paths.run_keys[self.func] = run_key
            return
        setter = q.endswith("SetValue")
        where = run_key if setter else self.paths.run_keys.get(self.func)
        if where is None:
            return
        line, snippet = node.lineno, self.lines.get(node.lineno)
        message = f"sets a value Windows runs at log-on: {where[:80]!r}"
        self.scan.add(Hit("code.startup_write", line, message, snippet), top)
        self.scan.add(Hit(PERSIST_TOKEN, line, message, snippet))
        self.scan.token(PERSIST_TOKEN)
        value = node.args[3 if setter else 4] if len(node.args) > (3 if setter else 4) else None
        stored = None if value is None else self.content(value)
        if stored is not None and payload_like(stored):
            self.payload(
                line, f"stores a command that downloads or runs code under a Run key ({where[:60]!r})"
            )

    def payload(self, line: int, message: str) -> None:
        """The payload evidence and token (a hard finding: policy.FEATURE_FINDINGS)."""
        self.scan.add(Hit(PAYLOAD_TOKEN, line, message, self.lines.get(line)))
        self.scan.token(PAYLOAD_TOKEN)

    def content(self, node: ast.expr) -> str | None:
        """What a write writes, as far as it is text the module holds (decoded when it folds)."""
        local: dict[str, str | bytes] = {
            name: text for (func, name), text in self.paths.texts.items() if func == self.func
        }
        folded = Folder(ChainMap(local, self.fold_constants), self.resolve).fold(node)
        return folded if folded is not None else PathText(self.resolve, self.path_name).read(node)

    def persistent(self, dest: ast.expr, node: ast.Call, top: bool) -> tuple[str, int] | None:
        """A write to ``dest``: when it is a start-up location, ``code.startup_write`` and the token, with
        evidence; its path and line, else None."""
        text = self.path_text(dest, top)
        if text is None or not persistence_place(text):
            return None
        line = node.lineno
        snippet = self.lines.get(line)
        message = f"writes into a start-up location: {text[:80]!r}"
        self.scan.add(Hit("code.startup_write", line, message, snippet), top)
        self.scan.add(Hit(PERSIST_TOKEN, line, message, snippet))
        self.scan.token(PERSIST_TOKEN)
        return text, line
