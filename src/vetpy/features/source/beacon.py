"""DNS beacons: the host's identity (user name, host name, working directory, MAC address, public IP)
written into a name the code resolves (``socket.gethostbyname(user + '.' + host + '.x.oast.fun')``,
``nslookup``, ``dig``, ``ping``): the dependency-confusion probe's way home, one look-up through the
victim's own resolver, no HTTP request to see.

The walk notes each look-up (:meth:`BeaconChecks.note_watched`); :meth:`BeaconChecks.finish_beacon` then
reads, only in such a module, the look-up's argument and the names of its function (and of the module)
it uses: identity in it and a domain written beside it is ``flow:identity_to_dns``, with the source's and
the look-up's lines as evidence; under an infrastructure domain that reports look-ups back (OAST, request
bins, tunnels, dynamic DNS) it is also ``flow:identity_to_infra``, which :mod:`vetpy.policy` makes the
hard finding ``dns_beacon``. Host data sent over HTTP to such a host (:meth:`BeaconChecks.beacon_send`,
from the flow checks' ``flow:exfil``) is ``flow:identity_to_infra`` too.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import lru_cache

from vetpy.features import calls
from vetpy.features.lexicon import bare_hosts
from vetpy.features.source.astutil import bounded_walk
from vetpy.features.source.clipboard import ClipboardChecks, clipboard_call
from vetpy.features.source.facts import Hit

DNS_TOKEN = "flow:identity_to_dns"
BEACON_TOKEN = "flow:identity_to_infra"
#: Lexicon classes that tell their user who looked a name up or called: a beacon's receivers.
BEACON_CLASSES = frozenset({"oast", "request_bin", "tunnel", "dyndns"})
DNS_CALLS = frozenset(
    {"socket.gethostbyname", "socket.gethostbyname_ex", "socket.getaddrinfo", "*.getaddrinfo"}
    | {"dns.resolver.resolve", "dns.resolver.query", "dns.resolver.Resolver.resolve"}
)
_DNS_METHODS = frozenset({"*.resolve", "*.query"})  # a dnspython Resolver's, in a module importing dns
DNS_COMMANDS = frozenset({"nslookup", "dig", "ping", "ping6", "host", "drill"})
IDENTITY_CALLS = frozenset(
    {"getpass.getuser", "socket.gethostname", "socket.getfqdn", "os.getlogin", "platform.node"}
    | {"platform.uname", "os.uname", "os.getcwd", "uuid.getnode", "pathlib.Path.home", "pathlib.Path.cwd"}
)
IDENTITY_VARS = frozenset({"USER", "USERNAME", "LOGNAME", "COMPUTERNAME", "HOSTNAME", "USERDOMAIN"})
_ENV_GETTERS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault"})
#: Words a module with a DNS look-up or clipboard read spells (the fast pass's marks).
BEACON_MARKS = (
    "gethostbyname",
    "getaddrinfo",
    "dns.resolver",
    "nslookup",
    "pyperclip",
    "getclipboarddata",
    "clipboard_get",
    "pbpaste",
    "xclip",
    "xsel",
    "get-clipboard",
)
_DOMAIN = re.compile(r"(?<![\w.-])\.?((?:[a-z0-9_-]+\.)+[a-z][a-z0-9-]{1,62})(?![\w-]|\.\w)", re.I)
_LOCAL = (".local", ".localhost", ".lan", ".internal", ".home.arpa", ".localdomain")
_Names = dict[str, tuple[str, int, list[ast.expr]]]  # name -> (identity, its line, values assigned)
_PROCESS = frozenset({"code.subprocess", "code.os_system"})


@lru_cache(maxsize=4_096)
def dns_call(q: str) -> bool:
    """Whether a call resolves a name (by its resolved name; ``*.resolve``/``*.query`` asked again)."""
    return q in DNS_CALLS or q in _DNS_METHODS


@lru_cache(maxsize=16_384)
def watched(q: str) -> bool:
    """Whether :meth:`BeaconChecks.note_watched` reads a call (a look-up, the clipboard, a process)."""
    return dns_call(q) or clipboard_call(q) is not None or bool(_PROCESS.intersection(calls.features_for(q)))


def command_words(node: ast.Call) -> tuple[str, str, ast.expr] | None:
    """The program a process call starts (first word, lower-case, without a path or ``.exe``), its
    command's constant text (unknown parts as ``{}``) and the command, else None."""
    first = node.args[0] if node.args else None
    if first is None:
        first = next((kw.value for kw in node.keywords if kw.arg in ("args", "cmd", "command")), None)
    if first is None:
        return None
    parts = first.elts if isinstance(first, ast.List | ast.Tuple) else [first]
    text = " ".join("".join(constant_texts(p, "{}")) for p in parts[:20]).strip()
    word = text.split(None, 1)[0] if text else ""
    word = word.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].lower().removesuffix(".exe")
    return word, text, first


def constant_texts(node: ast.expr, unknown: str = "") -> Iterator[str]:
    """The constant text of a string expression in order (a constant, a concatenation, an f-string), other
    parts as ``unknown``."""
    if isinstance(node, ast.Constant):
        yield node.value if isinstance(node.value, str) else unknown
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        yield from constant_texts(node.left, unknown)
        yield from constant_texts(node.right, unknown)
    elif isinstance(node, ast.JoinedStr):
        for value in node.values:
            yield from constant_texts(value, unknown)
    else:
        yield unknown


def domain_in(texts: list[str]) -> tuple[str, str | None] | None:
    """The first DNS domain written in ``texts`` (each, then all joined): one under an infrastructure
    domain first, with its category; else any dotted name but a local one, with None."""
    candidates = [*texts, "".join(texts)] if len(texts) > 1 else texts
    for text in candidates:
        for host, category in bare_hosts(text, in_urls=True):
            return host, category
    for text in candidates:
        for m in _DOMAIN.finditer(text):
            name = m.group(1).lower()
            if not name.endswith(_LOCAL) and not name.replace(".", "").isdigit():
                return name, None
    return None


def _scope_assigns(root: ast.AST, into_defs: bool) -> list[tuple[str, ast.expr, int]]:
    """``(name, value, line)`` of the assignments to a plain name under ``root``, in source order (nested
    functions too with ``into_defs``; never those of a module's functions)."""
    out: list[tuple[str, ast.expr, int]] = []
    stack: list[ast.AST] = [root]
    while stack:
        node = stack.pop()
        target: ast.AST | None = None
        value: ast.expr | None = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and value is not None:
            out.append((target.id, value, getattr(node, "lineno", 0)))
        for child in ast.iter_child_nodes(node):
            if into_defs or not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                stack.append(child)
    return sorted(out, key=lambda a: a[2])


def outer_defs(tree: ast.AST) -> dict[str, list[ast.AST]]:
    """The functions the walk names a place by (outermost ones, methods too), by name."""
    out: dict[str, list[ast.AST]] = {}
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                out.setdefault(child.name, []).append(child)
            elif not isinstance(child, ast.Lambda | ast.expr):
                stack.append(child)
    return out


class BeaconChecks(ClipboardChecks):
    """DNS look-ups of names built from the host's identity, and host data sent to a beacon's receiver;
    the clipboard checks' notes too (one entry point from the walk, :meth:`note_watched`)."""

    def note_watched(self, node: ast.Call, q: str) -> None:
        """A call :func:`watched` picked: a look-up, a clipboard read or write, or a process whose
        command may be either."""
        if dns_call(q):
            self.note_dns(node, q)
            return
        kind = clipboard_call(q)
        if kind is not None:
            self.note_clipboard(node, q, kind)
            return
        found = command_words(node)
        if found is not None:
            word, text, command = found
            self.note_dns_command(node, q, word, command)
            self.note_clip_command(node, q, text)

    def note_dns(self, node: ast.Call, q: str) -> None:
        """A look-up call: kept with the name it resolves (first argument, or ``host``/``qname``)."""
        if q in _DNS_METHODS and not any(v == "dns" or v.startswith("dns.") for v in self.aliases.values()):
            return
        name = node.args[0] if node.args else None
        if name is None:
            name = next((kw.value for kw in node.keywords if kw.arg in ("host", "qname")), None)
        if name is not None and not isinstance(name, ast.Constant):
            self.watch.dns.append((self.func, node, q, name))

    def note_dns_command(self, node: ast.Call, q: str, word: str, command: ast.expr) -> None:
        """A process running a look-up program (nslookup, dig, ping, ...): its command is the name."""
        if word in DNS_COMMANDS and not isinstance(command, ast.Constant):
            self.watch.dns.append((self.func, node, f"{q} ({word})", command))

    def identity_in(self, expr: ast.AST, names: _Names) -> tuple[str, int] | None:
        """The host identity an expression carries, the first in source order (what, and the line it is
        read on), else None."""
        found: list[tuple[tuple[int, int], str, int]] = []
        for sub in bounded_walk(expr):
            what = self._identity_node(sub, names)
            if what is not None:
                line = getattr(sub, "lineno", 0)
                found.append(((line, getattr(sub, "col_offset", 0)), *what))
        return min(found)[1:] if found else None

    def _identity_node(self, sub: ast.AST, names: _Names) -> tuple[str, int] | None:
        """One node of :meth:`identity_in`: an identity call, an identity variable read from the
        environment, a public-IP look-up, or a name assigned identity."""
        if isinstance(sub, ast.Call):
            q = self.resolve(sub.func) or ""
            if q in IDENTITY_CALLS:
                return q, sub.lineno
            first = sub.args[0] if sub.args else None
            if q in _ENV_GETTERS and isinstance(first, ast.Constant) and first.value in IDENTITY_VARS:
                return f"{q}({first.value!r})", sub.lineno
            if (
                "code.http" in calls.features_for(q)
                and isinstance(first, ast.Constant)
                and any(c == "ip_lookup" for _, c in bare_hosts(str(first.value), in_urls=True))
            ):
                return f"a public-IP look-up ({q})", sub.lineno
        elif isinstance(sub, ast.Subscript) and isinstance(sub.slice, ast.Constant):
            if sub.slice.value in IDENTITY_VARS and self.resolve(sub.value) == "os.environ":
                return f"os.environ[{sub.slice.value!r}]", sub.lineno
        elif isinstance(sub, ast.Name) and sub.id in names:
            what, line, _ = names[sub.id]
            return what, line
        return None

    def scope_names(self, root: ast.AST, into_defs: bool, names: _Names, every: bool) -> _Names:
        """``names`` and the names of ``root`` assigned host identity (from a source or such a name), or
        with ``every`` all names assigned there (their values: what destinations are built from)."""
        names = dict(names)
        for name, value, line in _scope_assigns(root, into_defs):
            if name in names:
                what, first, values = names[name]
                names[name] = (what, first, [*values, value])
                continue
            found = ("", line) if every else self.identity_in(value, names)
            if found is not None:
                names[name] = (found[0], found[1], [value])
        return names

    def texts_of(self, expr: ast.AST, names: _Names, depth: int = 0) -> list[str]:
        """The constant texts an expression is built from: its constants, module constants it names, and
        (a few levels deep) the values of identity names it uses."""
        out: list[str] = []
        for sub in bounded_walk(expr):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                out.append(sub.value[:2_000])
            elif isinstance(sub, ast.Name):
                constant = self.fold_constants.get(sub.id)
                if isinstance(constant, str):
                    out.append(constant[:2_000])
                elif sub.id in names and depth < 3:
                    for value in names[sub.id][2]:
                        out += self.texts_of(value, names, depth + 1)
        return out

    def finish_beacon(self, tree: ast.AST) -> None:
        """``flow:identity_to_dns`` (and ``flow:identity_to_infra`` under a beacon's receiver) for each
        look-up whose name carries the host's identity, by its function's and the module's names, with a
        domain written beside it (resolving the host's own name is not a beacon); and the sends of host
        data to a destination held in a name (:meth:`beacon_send`), by those names' values."""
        watch = self.watch
        if not (watch.dns or watch.sends):
            return
        funcs = {f for f, *_ in watch.dns} | {f for f, *_ in watch.sends}
        defs = outer_defs(tree) if funcs != {None} else {}
        module = (self.scope_names(tree, False, {}, False), self.scope_names(tree, False, {}, True))
        scopes: dict[str | None, tuple[_Names, _Names]] = {None: module}
        for func in funcs - {None}:
            names, values = module
            for d in defs.get(func or "", ()):
                names, values = (
                    self.scope_names(d, True, names, False),
                    self.scope_names(d, True, values, True),
                )
            scopes[func] = names, values
        for func, node, sink, name in watch.dns:
            names = scopes[func][0]
            source = self.identity_in(name, names)
            domain = domain_in(self.texts_of(name, names)) if source is not None else None
            if source is None or domain is None:
                continue
            host, category = domain
            under = f"{host} ({category})" if category else host
            message = (
                f"host identity ({source[0]}, line {source[1]}) resolved in a DNS name ({sink}, line"
                f" {node.lineno}) under {under}"
            )
            self._note(DNS_TOKEN, node.lineno, message)
            if category in BEACON_CLASSES:
                self._note(BEACON_TOKEN, node.lineno, message)
        for func, node, q, carried, dest in watch.sends:
            self._send_to(node, q, carried, self.texts_of(dest, scopes[func][1]))

    def beacon_send(self, node: ast.Call, q: str, carried: str) -> None:
        """Host data (``carried``) sent by a network call whose destination is written under a beacon's
        receiver (OAST, request bin, tunnel, dynamic DNS): ``flow:identity_to_infra``. A destination that
        uses a name is read at the end of the walk, with the values of its function's and the module's
        names. A look-up's name is the look-up checks' (:meth:`finish_beacon`)."""
        dest = node.args[0] if node.args and not dns_call(q) else None
        if dest is None and not dns_call(q):
            dest = next((kw.value for kw in node.keywords if kw.arg in ("url", "host", "address")), None)
        if dest is None:
            return
        if not self._send_to(node, q, carried, self.texts_of(dest, {})) and any(
            isinstance(sub, ast.Name) for sub in bounded_walk(dest)
        ):
            self.watch.sends.append((self.func, node, q, carried, dest))

    def _send_to(self, node: ast.Call, q: str, carried: str, texts: list[str]) -> bool:
        """Note the send when ``texts`` (its destination's) name a beacon's receiver."""
        for text in texts:
            for host, category in bare_hosts(text, in_urls=True):
                if category in BEACON_CLASSES:
                    message = f"host data ({carried}) sent ({q}, line {node.lineno}) to {host} ({category})"
                    self._note(BEACON_TOKEN, node.lineno, message)
                    return True
        return False

    def _note(self, token: str, line: int, message: str) -> None:
        self.scan.add(Hit(token, line, message, self.lines.get(line)))
        self.scan.token(token)
