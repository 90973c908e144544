"""Data-flow checks of the syntax-tree pass: what exec/eval runs, and network or process calls fed with
run-time decoded data or host data (user, host name, credentials, the whole environment)."""

from __future__ import annotations

import ast
import re

from vetpy.features import calls
from vetpy.features.source.astutil import bounded_walk
from vetpy.features.source.beacon import BeaconChecks
from vetpy.features.source.params import EXEC, NETWORK, PROCESS, ParamFlowChecks
from vetpy.features.source.remote import RemoteChecks
from vetpy.features.source.state import WHOLE_ENV

_GUARDS = ("get", "setdefault", "pop")
# An argument list that fetches a program: a URL whose path names an executable or script Windows runs
# (model weights, archives and data files are left alone: ML and data packages fetch those with wget).
_PROGRAM_URL = re.compile(
    r"^(?:https?|ftp)://[^\s?#]+\.(?:exe|dll|scr|msi|bat|cmd|ps1|vbs|vbe|hta|jar)(?:[?#]\S*)?$", re.I
)
_HOST_FEATURES = frozenset({"code.system_info", "code.credential_read"})
#: Look-ups that give the host's own facts only when asked about no name (``getfqdn()``) or about the host's
#: own name, which the walk then finds inside them (``gethostbyname(gethostname())``); a name the caller
#: gives is where a client connects (a proxy library resolving its destination), not host data.
_RESOLVERS = frozenset({"socket.gethostbyname", "socket.getfqdn"})


class FlowChecks(BeaconChecks, ParamFlowChecks, RemoteChecks):
    """Taint from decoders and host-data sources into exec/eval and network/process sinks, also through a
    parameter of this module's own function (params.py)."""

    def host_data(self, node: ast.AST) -> str | None:
        """What host data an expression carries: user/host facts, credentials, or the whole environment."""
        guarded: set[int] = set()
        for sub in bounded_walk(node):
            carried = self.host_node(sub, guarded, None)
            if carried is not None:
                return carried
        return None

    def host_node(self, sub: ast.AST, guarded: set[int], q: str | None) -> str | None:
        """One node of :meth:`host_data`'s walk (``guarded``: ids of objects read by key so far; ``q``: the
        resolved name of ``sub`` when it is a call and the caller has it, else None)."""
        if isinstance(sub, ast.Subscript) or (isinstance(sub, ast.Attribute) and sub.attr in _GUARDS):
            guarded.add(id(sub.value))
        elif isinstance(sub, ast.Name) and sub.id in self.sourced:
            if not (self.sourced[sub.id] and id(sub) in guarded):
                return sub.id
        elif isinstance(sub, ast.Call):
            q = (self.resolve(sub.func) if q is None else q) or ""
            if _HOST_FEATURES.intersection(calls.features_for(q)) and not (
                q in _RESOLVERS and (sub.args or sub.keywords)
            ):
                return q
            path = self.credential_file(sub, q)
            if path is not None:
                return f"the file {path[:80]}"
        elif (
            isinstance(sub, ast.Attribute)
            and sub.attr in ("environ", "environb")
            and id(sub) not in guarded
            and self.resolve(sub) in ("os.environ", "os.environb")
        ):
            return WHOLE_ENV
        return None

    def visit_augassign(self, node: ast.AugAssign, top: bool) -> None:
        """``name += <decoded>`` (a string built from decoded parts, ``out += chr(ord(c) ^ k)``) taints it."""
        target = node.target
        if self.track_flow and type(target) is ast.Name and self.decoded(node.value, strong=True):
            self.tainted.add((self.func, target.id))

    def note_taint(self, target: str, value: ast.expr, decoder: bool) -> None:
        """``target = value``: tainted when the value calls a decoder (``decoder``, found by the caller), and
        when it is built from a decoder's result or a decoded name; a name only ``str.join`` made is noted
        as such (only the direct checks of a sink's or exec's arguments read it)."""
        key = (self.func, target)
        strong = self.decoded(value, strong=True)
        if decoder or strong:
            self.tainted.add(key)
            if strong:
                self.joined.discard(key)
            else:
                self.joined.add(key)

    def decoded(self, node: ast.AST, strong: bool = False) -> bool:
        """Whether an expression decodes data at run time, or uses a name assigned from such decoding;
        ``strong``: not counting ``str.join`` (which builds every command line) or names only it made."""
        for q, sub in self.subtree_calls(node):
            if isinstance(sub, ast.Name):
                if self.is_tainted(sub.id) and not (strong and self.is_joined(sub.id)):
                    return True
            elif q is not None and calls.is_decoder(q) and not (strong and q == "str.join"):
                return True
        return False

    def visit_sink(self, node: ast.Call, q: str, top: bool) -> None:
        """A network or process call whose target or payload is decoded at run time, or which sends host
        data (user, host name, credentials, the whole environment)."""
        args: list[ast.AST] = [*node.args, *(kw.value for kw in node.keywords)]
        if any(self.decoded(arg) for arg in args):
            self.hit("code.decoded_sink", node, f"{q} of run-time decoded data", top)
            self.scan.token("flow:decoded_sink")
        process = bool(calls.SINK_FEATURES.intersection(calls.features_for(q)) - {"code.http", "code.socket"})
        self.note_param_sink(args, PROCESS if process else NETWORK, q, node.lineno)
        if process:
            if self.names_remote:
                self.remote_command(node, q, args, top)
            self.spawned_download(node)
            return  # processes: sending host data is about the network
        for arg in args:
            carried = self.host_data(arg)
            if carried:
                self.hit("code.exfil_flow", node, f"{q} sends host data ({carried})", top)
                self.scan.token("flow:exfil")
                self.beacon_send(node, q, carried)
                return

    def visit_exec(self, node: ast.Call, top: bool) -> bool:
        """Classify what exec/eval runs; False when it only runs a local file's text (weak)."""
        reads_file = False
        self.note_param_sink(node.args[:1], EXEC, "exec/eval", node.lineno)
        if self.names_remote:
            self.remote_command(node, "exec/eval", node.args[:1], top)
        for arg in node.args[:1]:
            for q, sub in self.subtree_calls(arg):
                if isinstance(sub, ast.Name) and self.is_tainted(sub.id):
                    q = "decoded-variable"
                if q is None:
                    continue
                if q == "decoded-variable" or calls.is_decoder(q):
                    self.hit("code.decode_exec", node, f"exec/eval of decoded data ({q})", top)
                    self.scan.token("flow:decode_exec")
                    return True
                if "code.http" in calls.features_for(q):
                    self.hit("code.download_exec", node, f"exec/eval of downloaded data ({q})", top)
                    self.scan.token("flow:download_exec")
                    return True
                if q in ("open", "*.read", "*.read_text", "io.open", "codecs.open"):
                    reads_file = True
        return not reads_file

    def spawned_download(self, node: ast.Call) -> None:
        """A process started with an argument list that holds a URL to a program (``[curl, "https://
        .../x.exe", "-o", path]``): a download by an external program, which the one-string command
        patterns do not see. :meth:`finish` calls it download-and-run when the file starts another process."""
        first = node.args[0] if node.args else None
        if isinstance(first, ast.List | ast.Tuple) and any(
            isinstance(e, ast.Constant) and isinstance(e.value, str) and _PROGRAM_URL.match(e.value)
            for e in first.elts
        ):
            self.seen.add("spawned_download")
            self.first_line.setdefault("spawned_download", node.lineno)
            self.scan.token("flow:spawned_download")

    def finish_param_flows(self) -> None:
        """Decoded data handed to a local function whose parameter reaches exec/eval, a network call or a
        process, and host data handed to one whose parameter reaches a network call (params.py)."""
        for node, where, arg, (kind, q, line) in self.passed_to_sinks():
            top, to = self.func is None, f"{where} -> {q} at line {line}"
            if self.decoded(arg, strong=True):
                if kind == EXEC:
                    self.hit("code.decode_exec", node, f"exec/eval of decoded data passed to {to}", top)
                    self.scan.token("flow:decode_exec")
                else:
                    self.hit("code.decoded_sink", node, f"run-time decoded data passed to {to}", top)
                    self.scan.token("flow:decoded_sink")
                self.scan.token("flow:via_param")
            carried = self.host_data(arg) if kind == NETWORK else None
            if carried:
                self.hit("code.exfil_flow", node, f"sends host data ({carried}) through {to}", top)
                self.scan.token("flow:exfil")
                self.scan.token("flow:via_param")
