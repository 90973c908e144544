"""Where a network call sends, and what: a destination fixed in the package (a constant URL, host or a
module-level constant, or a name of the function or module bound to a constant or f-string URL) against
one its caller supplies (a parameter, an attribute of ``self``), and data
whose name says it is a secret (a parameter or variable called key, secret, token, password, mnemonic,
seed, wallet, ...). A library that sends a caller's token to the URL the caller gives is what SDKs do; a
helper that posts its caller's private key to a host written into the package is exfiltration.

Tokens only (``dest:*``, ``flow:secret_to_*``), no numeric column: the bundled model is unchanged until a
retrain learns from them."""

from __future__ import annotations

import ast
from itertools import chain
from operator import attrgetter
from urllib.parse import urlsplit

from vetpy.features import calls
from vetpy.features.domains import is_well_known
from vetpy.features.lexicon import host_category
from vetpy.features.source.astutil import bounded_walk
from vetpy.features.source.custody import SECRET_NAME_RE as SECRET_NAME_RE
from vetpy.features.source.custody import CustodyChecks, outside_host, secret_name

DESTINATION_CALLS = frozenset(
    {"get", "post", "put", "patch", "delete", "request", "urlopen", "Request", "urlretrieve", "connect"}
    | {"create_connection", "sendto", "SMTP", "SMTP_SSL", "send_message", "sendmail"}
)
DEST_KEYWORDS = ("url", "host", "address", "endpoint", "uri")
#: Sends whose destination is not their first argument: a socket connected before, sendto's address, the
#: recipients of sendmail (custody checks only).
CUSTODY_SENDS = frozenset({"send", "sendall", "sendto", "sendmail"})
_SOCKET_OPENS = frozenset({"connect", "create_connection"})
_LOOKUPS = frozenset({"get", "delete", "request"})  # also methods of mappings, caches, stores
_ARG = attrgetter("arg")


class DestinationChecks(CustodyChecks):
    """Fixed or caller-supplied destinations of network calls, secret-named data sent to them, and custody
    secrets sent to a fixed outside host (custody.py)."""

    def note_params(self, owner: str, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        a = node.args
        params = self.params.get(owner)
        if params is None:
            params = self.params[owner] = set()
        params.update(map(_ARG, chain(a.posonlyargs, a.args, a.kwonlyargs)))
        if a.vararg is not None:
            params.add(a.vararg.arg)
        if a.kwarg is not None:
            params.add(a.kwarg.arg)

    def note_constant(self, target: str, value: ast.expr) -> None:
        """A module-level string constant; and a name (of a function or the module) bound to a URL the
        package fixes: a constant or an f-string whose text starts with ``scheme://`` (``url =
        f"https://host/bot{TOKEN}/send"``); bound to anything else, the name is no longer one."""
        text = value.value if type(value) is ast.Constant else None
        if self.func is None and type(text) is str:
            self.constants[target] = text[:500]  # read before url_names: no need to keep it twice
            return
        if type(value) is ast.JoinedStr and value.values and type(value.values[0]) is ast.Constant:
            text = value.values[0].value
        key = (self.func, target)
        if type(text) is str and "://" in text[:16]:
            self.url_names[key] = text[:500]
        elif key in self.url_names:
            del self.url_names[key]

    def _destination(self, node: ast.Call) -> ast.expr | None:
        for kw in node.keywords:
            if kw.arg in DEST_KEYWORDS:
                return kw.value
        if not node.args:
            return None
        first = node.args[0]
        if isinstance(first, ast.Tuple) and first.elts:  # socket.connect((host, port))
            return first.elts[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.isupper():
            return node.args[1] if len(node.args) > 1 else None  # session.request("POST", url)
        return first

    def _classify(self, dest: ast.expr) -> tuple[str, str | None]:
        """("fixed", text) | ("caller", None) | ("unknown", None)."""
        if isinstance(dest, ast.Constant) and isinstance(dest.value, str):
            return "fixed", dest.value
        if isinstance(dest, ast.JoinedStr) and dest.values:
            head = dest.values[0]
            if isinstance(head, ast.Constant) and isinstance(head.value, str) and "://" in head.value:
                return "fixed", head.value
        if isinstance(dest, ast.BinOp) and isinstance(dest.left, ast.Constant | ast.Name):
            return self._classify(dest.left)
        if isinstance(dest, ast.Name):
            if dest.id in self.params.get(self.func or "", ()):
                return "caller", None
            if dest.id in self.constants:
                return "fixed", self.constants[dest.id]
            url = self.url_names.get((self.func, dest.id)) or self.url_names.get((None, dest.id))
            if url is not None:
                return "fixed", url
        if isinstance(dest, ast.Attribute) and isinstance(dest.value, ast.Name) and dest.value.id == "self":
            return "caller", None
        return "unknown", None

    def _carries_secret(self, value: ast.AST) -> bool:
        """An expression naming a secret: a variable, attribute or dict key called key/secret/token/...,
        or a variable of this function assigned from one."""
        return any(self.names_secret(sub) for sub in bounded_walk(value))

    def names_secret(self, sub: ast.AST) -> bool:
        """One node of :meth:`_carries_secret`'s walk names a secret."""
        if isinstance(sub, ast.Name):
            return secret_name(sub.id) or (self.func, sub.id) in self.secret_vars
        if isinstance(sub, ast.Attribute):
            return secret_name(sub.attr)
        return (  # {"private_key": ...} dict keys
            isinstance(sub, ast.Constant)
            and isinstance(sub.value, str)
            and len(sub.value) < 40
            and secret_name(sub.value)
        )

    def _secret_data(self, node: ast.Call, dest: ast.expr | None) -> bool:
        values = [*node.args, *(kw.value for kw in node.keywords)]
        return any(value is not dest and self._carries_secret(value) for value in values)

    def visit_destination(self, node: ast.Call, q: str) -> None:
        """Tokens for one network call: who chose its destination, and whether it carries a secret."""
        last = q.rsplit(".", 1)[-1]
        if last in CUSTODY_SENDS:
            self.custody_send(node, last)
        if last not in DESTINATION_CALLS:
            return
        if last == "connect" and not (node.args and isinstance(node.args[0], ast.Tuple)):
            return  # database and other connections take no (host, port) pair
        dest = self._destination(node)
        kind, text = self._classify(dest) if dest is not None else ("unknown", None)
        if kind == "unknown":
            lookup = q.startswith("*.") and last in _LOOKUPS  # d.get(...): most are mappings
            if (
                dest is not None
                and not lookup
                and not isinstance(dest, ast.Name)
                and last not in CUSTODY_SENDS
            ):
                self._custody_built(node, last, dest)
            return
        if q.startswith("*.") and last != "connect" and not _url_like(dest, text):
            return  # an unknown receiver's .get("key") is a dict look-up until the argument says URL
        self.scan.token(f"dest:{kind}")
        if kind == "fixed" and text:
            host = _host(text)
            if host and not is_well_known(host):
                self.scan.token("dest:fixed_unknown_host")
                category = host_category(host)
                if category:
                    self.scan.token(f"dest:fixed_infra:{category}")
            if host and last not in CUSTODY_SENDS and outside_host(host) and self.custody_file(host):
                self._custody_call(node, last, dest, host)
        if self._secret_data(node, dest):
            self.scan.token(f"flow:secret_to_{kind}")

    def _custody_call(self, node: ast.Call, last: str, dest: ast.expr | None, host: str) -> None:
        """A call to a fixed outside host: a socket opened (its sends are checked later), or a request
        whose data (a URL built around the data too) may carry a custody secret."""
        if last in _SOCKET_OPENS:
            self.custody.sockets[self.func] = host
            return
        values = [*node.args, *(kw.value for kw in node.keywords)]
        self.custody_sent(node, [v for v in values if v is not dest or not isinstance(v, ast.Name)], host)

    def _custody_built(self, node: ast.Call, last: str, dest: ast.expr) -> None:
        """A destination built at run time, in a module that spells a custody word: from its constants
        (folded) to an outside host, or decoded (base64, hex, ...) from a name: hidden, so never the
        caller's."""
        head, text = self.built_text(dest)
        where: str | None = None
        host: str | None = None
        if text is not None:
            host = _host(text) if last in _SOCKET_OPENS or "://" in text[:16] else None
            where = host if host is not None and outside_host(host) else None
        else:
            source = self._decoded_from(head)
            where = None if source is None else f"a destination decoded at run time from {source}"
        if where is not None and self.custody_file(host):
            self._custody_call(node, last, None, where)  # the built URL is data too

    def _decoded_from(self, head: ast.expr) -> str | None:
        """What a destination is decoded from (base64, hex, zlib, ... of a name, through ``str(..)`` or
        ``.decode()``), else None."""
        for _ in range(4):
            if not isinstance(head, ast.Call):
                return None
            q = self.resolve(head.func) or ""
            if calls.is_decoder(q) and head.args and isinstance(head.args[0], ast.Name | ast.Attribute):
                return ast.unparse(head.args[0])[:60]
            if q == "str" and head.args:
                head = head.args[0]
            elif isinstance(head.func, ast.Attribute) and head.func.attr == "decode":
                head = head.func.value
            else:
                return None
        return None

    def custody_send(self, node: ast.Call, last: str) -> None:
        """Custody data sent on a socket connected to a fixed outside host in this function, by sendto to
        a fixed outside address, or by sendmail to a fixed mailbox."""
        if not node.args:
            return
        if last in ("send", "sendall"):  # a socket opened in a module that spells a custody word
            host = self.custody.sockets.get(self.func)
            if host is not None:
                self.custody_sent(node, node.args[:1], host)
            return
        if last == "sendto" and len(node.args) >= 2:
            where = node.args[1]
            if not (isinstance(where, ast.Tuple) and where.elts):
                return
            kind, text = self._classify(where.elts[0])
            host = _host(text) if kind == "fixed" and text else None
            if host is not None and outside_host(host) and self.custody_file(host):
                self.custody_sent(node, node.args[:1], host)
        elif last == "sendmail" and len(node.args) >= 3 and self.custody_file():
            to = node.args[1]
            if isinstance(to, ast.List | ast.Tuple) and to.elts:
                to = to.elts[0]
            kind, text = self._classify(to)
            if kind == "fixed" and text and "@" in text:
                self.custody_sent(node, node.args[2:3], f"the mailbox {text}")


def _url_like(dest: ast.expr | None, text: str | None) -> bool:
    """A constant URL, or a name or attribute called like one (url, host, endpoint, ...)."""
    if text is not None:
        return "://" in text
    name = dest.id if isinstance(dest, ast.Name) else dest.attr if isinstance(dest, ast.Attribute) else ""
    return any(k in name.lower() for k in DEST_KEYWORDS)


def _host(text: str) -> str | None:
    text = text.strip()
    try:
        host = urlsplit(text if "://" in text else f"//{text}").hostname
    except ValueError:
        return None
    return host.lower() if host and "." in host else None
