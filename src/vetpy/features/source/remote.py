"""Commands from the network: what a socket receives, or a web request's parameters, run as a command or as
code. A remote-access trojan connects out, loops on ``recv()`` and runs what it gets; a web backdoor runs a
request parameter in a shell. Either is remote control of the host: ``code.reverse_shell``, with the token
``flow:remote_command`` and the evidence at the call that runs it.

Received data counts only in a file that opens a socket itself (a pipe between a program's own processes
also has ``recv``); a request's parameters (``request.args``, ``.form``, ``.GET``, ...) always do. Names
assigned from either carry it on within their function (or module level)."""

from __future__ import annotations

import ast
from collections.abc import Sequence

from vetpy.features.source.astutil import bounded_walk
from vetpy.features.source.state import WalkState

REMOTE_TOKEN = "flow:remote_command"
_RECEIVES = frozenset({"recv", "recvfrom", "recvmsg"})
_REQUEST_DATA = frozenset(
    {"args", "form", "values", "json", "data", "get_json", "GET", "POST", "body", "query_params", "query"}
)


class RemoteChecks(WalkState):
    """Data received from the network (or a web request) that a process or exec/eval runs."""

    def remote_input(self, node: ast.AST) -> tuple[str, bool] | None:
        """What network input an expression carries, and whether it is a socket's (not a request's)."""
        remote, func = self.remote_vars, self.func
        for sub in bounded_walk(node):
            if isinstance(sub, ast.Name):
                held = remote.get((func, sub.id)) or remote.get((None, sub.id))
                if held is not None:
                    return held
            elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
                if sub.func.attr in _RECEIVES:
                    return f"{sub.func.attr}()", True
            elif (
                isinstance(sub, ast.Attribute)
                and sub.attr in _REQUEST_DATA
                and isinstance(sub.value, ast.Name)
                and sub.value.id == "request"
            ):
                return f"request.{sub.attr}", False
        return None

    def note_remote_assign(self, target: str, value: ast.expr) -> None:
        """``name = <network input>``: the name carries it."""
        held = self.remote_input(value)
        if held is not None:
            self.remote_vars[(self.func, target)] = held

    def remote_command(self, node: ast.Call, q: str, args: Sequence[ast.AST], top: bool) -> None:
        """A process or exec/eval call (``q``) whose arguments carry network input: noted, judged at the
        end (a socket's input counts only when the file opens a socket)."""
        for arg in args:
            held = self.remote_input(arg)
            if held is not None:
                self.remote_runs.append((node, q, held[0], held[1], top))
                return

    def finish_remote(self) -> None:
        """Record the remote commands noted (see :meth:`remote_command`)."""
        sockets = self.scan.strong["code.socket"] > 0
        for node, q, what, received, top in self.remote_runs:
            if received and not sockets:
                continue
            self.hit(
                "code.reverse_shell", node, f"{q} runs a command received from the network ({what})", top
            )
            self.scan.token(REMOTE_TOKEN)
