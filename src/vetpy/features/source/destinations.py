"""Where a network call sends, and what: a destination fixed in the package (a constant URL, host or a
module-level constant) against one its caller supplies (a parameter, an attribute of ``self``), and data
whose name says it is a secret (a parameter or variable called key, secret, token, password, mnemonic,
seed, wallet, ...). A library that sends a caller's token to the URL the caller gives is what SDKs do; a
helper that posts its caller's private key to a host written into the package is exfiltration.

Tokens only (``dest:*``, ``flow:secret_to_*``), no numeric column: the bundled model is unchanged until a
retrain learns from them."""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from itertools import chain
from operator import attrgetter
from urllib.parse import urlsplit

from vetpy.features.domains import is_well_known
from vetpy.features.lexicon import host_category
from vetpy.features.source.astutil import bounded_walk
from vetpy.features.source.state import WalkState

SECRET_NAME_RE = re.compile(
    r"(?:^|_)(?:key|keys|secret|secrets|token|tokens|passw(?:or)?d|pwd|mnemonic|seed|phrase|wallet|private|"
    r"privkey|credentials?|creds|cookies?|session)(?:$|_)",
    re.I,
)
DESTINATION_CALLS = frozenset(
    {"get", "post", "put", "patch", "delete", "request", "urlopen", "Request", "urlretrieve", "connect"}
    | {"create_connection", "sendto", "SMTP", "SMTP_SSL", "send_message", "sendmail"}
)
DEST_KEYWORDS = ("url", "host", "address", "endpoint", "uri")
_ARG = attrgetter("arg")


@lru_cache(maxsize=65_536)
def secret_name(text: str) -> bool:
    """Whether a name, attribute or short string says it is a secret (``SECRET_NAME_RE``), remembered:
    the walk asks about the same few names again and again."""
    return SECRET_NAME_RE.search(text) is not None


class DestinationChecks(WalkState):
    """Fixed or caller-supplied destinations of network calls, and secret-named data sent to them."""

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
        if self.func is None and isinstance(value, ast.Constant) and isinstance(value.value, str):
            self.constants[target] = value.value[:500]

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
        if last not in DESTINATION_CALLS:
            return
        if last == "connect" and not (node.args and isinstance(node.args[0], ast.Tuple)):
            return  # database and other connections take no (host, port) pair
        dest = self._destination(node)
        kind, text = self._classify(dest) if dest is not None else ("unknown", None)
        if kind == "unknown":
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
        if self._secret_data(node, dest):
            self.scan.token(f"flow:secret_to_{kind}")


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
