"""The single syntax-tree pass over one module (iterative: deep trees cannot exhaust the C stack)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from vetpy.features import calls
from vetpy.features.registry import signal
from vetpy.features.scripts import MIN_PROGRAM, prompt_injection
from vetpy.features.source.astutil import (
    CHILD_TABLE,
    NODE_KINDS,
    SUBTREE_BUDGET,
    WALK_FIELDS,
    is_main_guard,
)
from vetpy.features.source.beacon import watched
from vetpy.features.source.custody import secret_name
from vetpy.features.source.facts import Hit
from vetpy.features.source.flow import FlowChecks
from vetpy.features.source.fold import ROOT_CALLS
from vetpy.features.source.literals import note_programs, scan_string
from vetpy.features.source.persistence import PATH_CALLS, PathChecks
from vetpy.features.source.reach import ImportReach, takes_callbacks
from vetpy.features.source.setup_checks import SetupChecks
from vetpy.features.source.state import WHOLE_ENV
from vetpy.features.source.upload import UploadChecks

NOTABLE_BUILTINS = frozenset(
    {
        "exec",
        "eval",
        "execfile",
        "getattr",
        "compile",
        "__import__",
        "open",
        "input",
        "chr",
        "globals",
        "setattr",
        "bytes",
        "bytearray",
        "map",
    }
)
_FUNCDEFS: frozenset[type] = frozenset({ast.FunctionDef, ast.AsyncFunctionDef})
_FUNCS: frozenset[type] = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda})
_CONTEXTS: frozenset[type] = _FUNCS | {ast.If}  # the nodes that may change their children's context
_SPECIAL_CALLS: frozenset[str] = frozenset(
    {"getattr", "builtins.getattr", "importlib.import_module", "importlib.__import__", "chr", "bytes"}
    | {"bytearray", "map", "os.dup2", "os.chmod", "os.startfile"}
    | calls.SETUP_NAMES
)
_DESTINATION_FEATURES = frozenset({"code.http", "code.socket"})
_ENV_ATTRS = ("environ", "windll", "environb")  # the attributes visit_attribute reads
_FLOW_KINDS: frozenset[type] = frozenset({ast.Call, ast.Attribute, ast.Subscript})  # host_node's, less Name
# value_flow's walk: bounded_walk's fields less ``ctx``, which is the last field of the node types that have
# it (their children are pushed before it, so it is the next node popped) and is only counted there.
_WITH_CONTEXT: frozenset[type] = frozenset(kind for kind, fields in WALK_FIELDS.items() if "ctx" in fields)
_FLOW_FIELDS: dict[type, tuple[str, ...]] = {
    kind: tuple(field for field in fields if field != "ctx") for kind, fields in WALK_FIELDS.items()
}


@lru_cache(maxsize=16_384)
def call_profile(q: str) -> tuple[str | None, tuple[str, ...], bool, bool, bool, bool, bool]:
    """What a call's resolved name alone decides, remembered per name: its ``call:`` token (None: none),
    its features, whether its arguments are checked as a sink's, whether its destination is, whether
    :meth:`Walker.visit_special_call` has a check of it, whether it may root a built string
    (:meth:`~vetpy.features.source.folding.FoldChecks.fold_call`), and whether it takes callbacks
    (:meth:`~vetpy.features.source.reach.ImportReach.note_local_calls`)."""
    token = (
        f"call:{q}"
        if len(q) < 60
        and (q.startswith("*.") or q.split(".")[0] not in calls.BUILTIN_NAMES or q in NOTABLE_BUILTINS)
        else None
    )
    feats = calls.features_for(q)
    sink = bool(calls.SINK_FEATURES.intersection(feats)) or q in calls.SEND_NAMES
    destination = bool(_DESTINATION_FEATURES.intersection(feats)) or q.startswith("*.")
    root = q in ROOT_CALLS or q.endswith(".fromhex") or q in PATH_CALLS
    special = q in _SPECIAL_CALLS or watched(q)
    return token, feats, sink, destination, special, root, takes_callbacks(q)


class Walker(PathChecks, FlowChecks, SetupChecks, ImportReach, UploadChecks):
    """Visits every node once and records its hits, tokens, URLs and entry points in the builder."""

    def run(self, tree: ast.AST) -> None:
        """Visit every node in pre-order. Leaves no check reads (names, contexts, operators) are never
        visited: a single child is pushed only when it is not one, a list of children is pushed whole
        (one C call) and its leaves are dropped when popped, as they have no row in the table of child
        fields; each visited type has its handler. A node's context (inside a function, the outermost
        function's name, under a ``__main__`` guard) is kept in three variables: a node that changes it
        for its children (a function, a lambda or an ``if``) pushes the old one beneath them, and it
        comes back when that is popped, after the last of them."""
        handlers = self._handlers()
        nodes, funcs, funcdefs, contexts = NODE_KINDS, _FUNCS, _FUNCDEFS, _CONTEXTS
        in_func, in_main = False, False
        func: str | None = None
        stack: list[Any] = [tree]
        pop, push, extend = stack.pop, stack.append, stack.extend
        handler_of, fields_of = handlers.get, CHILD_TABLE.get
        while stack:
            node = pop()
            kind = type(node)
            fields = fields_of(kind)
            if fields is None:  # a leaf (or None) from a list of children, or a context to restore
                if kind is tuple:
                    in_func, func, in_main = node
                continue
            handler = handler_of(kind)
            if handler is not None:
                self.func, self.in_main = func, in_main
                handler(node, not in_func)
            if not fields:
                continue
            if kind in contexts:
                child_in_func, child_func = in_func or kind in funcs, func
                if kind in funcdefs:
                    if child_func is None:
                        child_func = node.name
                        self.defined.add(node.name)
                    self.note_params(node.name if func is None else func, node)
                    self.note_def(node.name if func is None else func, node)
                child_main = in_main or (func is None and kind is ast.If and is_main_guard(node.test))
                if child_in_func != in_func or child_func is not func or child_main != in_main:
                    push((in_func, func, in_main))
                    in_func, func, in_main = child_in_func, child_func, child_main
            for name in fields:
                value = getattr(node, name, None)
                if type(value) is list:
                    if value:
                        extend(reversed(value))
                elif type(value) in nodes:
                    push(value)
        self.finish(tree)

    def _handlers(self) -> dict[type, Callable[[Any, bool], None]]:
        """The check of each visited node type (``top``: the node is not inside a function). Left out
        where they cannot fire: classes outside setup.py, and attributes when the module names none of
        those :meth:`visit_attribute` reads (an ASCII text holds every name of its tree as written) and is
        not setup.py (kept there: the checks :meth:`finish` runs on it hit in the context the last
        checked node left)."""
        handlers: dict[type, Callable[[Any, bool], None]] = {
            ast.Call: self.visit_call,
            ast.Constant: self.visit_constant,
            ast.Expr: self.visit_expr,
            ast.Import: self.visit_import,
            ast.ImportFrom: self.visit_import_from,
            ast.Assign: self.visit_assign,
            ast.AugAssign: self.visit_augassign,
            ast.BinOp: self.visit_binop,
            ast.Subscript: self.visit_subscript,
            ast.With: self.visit_with,
            ast.AsyncWith: self.visit_with,
        }
        if self.names_env_attr or self.is_setup:
            handlers[ast.Attribute] = self.visit_attribute
        if self.is_setup:
            handlers[ast.ClassDef] = self.visit_class
        return handlers

    def visit_constant(self, node: ast.Constant, top: bool) -> None:
        value = node.value
        if type(value) is str and value and id(node) not in self.skip:  # the parser's str
            scan_string(self.scan, value, node.lineno, self.lines, top)
            if self.upload.gate:
                self.upload_string(value, node.lineno)
        elif type(value) is bytes and len(value) >= MIN_PROGRAM and id(node) not in self.skip:
            note_programs(self.scan, value.decode("latin-1"), node.lineno, top)  # a program written as bytes

    def visit_expr(self, node: ast.Expr, top: bool) -> None:
        if isinstance(node.value, ast.Constant):
            self.skip.add(id(node.value))  # docstrings and bare strings are comments
            if isinstance(node.value.value, str) and prompt_injection(node.value.value):
                self.scan.token("script:prompt_injection")  # a tool description read by a language model

    def visit_import(self, node: ast.Import, top: bool) -> None:
        for a in node.names:
            self.aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            self.import_token(a.name, node, top)

    def visit_import_from(self, node: ast.ImportFrom, top: bool) -> None:
        if node.level == 0 and node.module:
            self.import_token(node.module, node, top)
            for a in node.names:
                if a.name != "*":
                    self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"

    def visit_attribute(self, node: ast.Attribute, top: bool) -> None:
        if node.attr in _ENV_ATTRS:
            q = self.resolve(node)
            if q in ("os.environ", "os.environb"):
                self.hit("code.env_access", node, "reads os.environ", top)
                self.scan.token("attr:os.environ")
            elif q and q.startswith("ctypes."):
                self.hit("code.ctypes_win", node, f"uses {q}", top)

    def visit_class(self, node: ast.ClassDef, top: bool) -> None:
        if not self.is_setup:
            return
        for b in node.bases:
            q = self.resolve(b) or ""
            if q.rsplit(".", 1)[-1] in calls.INSTALL_BASES:
                self.hit("install.cmdclass", node, f"class {node.name} overrides {q.lstrip('*.')}", top)
                self.scan.token(f"setup:override:{q.rsplit('.', 1)[-1]}")

    def import_token(self, module: str, node: ast.AST, top: bool) -> None:
        root = module.split(".")[0]
        self.scan.token(f"import:{root}")
        if root in ("ctypes", "winreg", "_winreg", "win32api", "win32crypt"):
            self.hit("code.ctypes_win", node, f"imports {module}", top)

    def visit_assign(self, node: ast.Assign, top: bool = True) -> None:
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            if self.track_flow and len(node.targets) == 1 and type(node.targets[0]) is ast.Subscript:
                self.note_custody(node.targets[0], node.value)  # d["mnemonic"] = ...
            return
        target = node.targets[0].id
        value = node.value
        self.note_fold_constant(target, value)
        self.note_path_var(target, value, top)
        if isinstance(value, ast.Name | ast.Attribute):
            q = self.resolve(value)
            if q and not q.startswith("*") and (calls.features_for(q) or q in calls.EXEC_NAMES):
                self.aliases[target] = q
        if not self.track_flow:  # no sink or exec can be called in this file: flows are never read
            return
        self.note_constant(target, value)
        secret, carried, decoder = self.value_flow(value)
        if secret:
            self.secret_vars.add((self.func, target))
        self.note_custody(node.targets[0], value)
        if carried:
            self.sourced[target] = carried == WHOLE_ENV
        if decoder or self.tainted or type(value) is ast.BinOp:
            self.note_taint(target, value, decoder)
        if self.names_remote:
            self.note_remote_assign(target, value)

    def value_flow(self, value: ast.expr) -> tuple[bool, str | None, bool]:
        """What an assigned value carries, in one bounded walk: a secret (``names_secret``), host data
        (:meth:`host_data`), and, for a call, a call of a decoder (``subtree_calls``). Each is the answer
        of its own walk: every node is judged in the same order until that answer is known. The walk is
        :func:`bounded_walk`'s, inline, and the checks are taken by node type: names are judged here (the
        most common node), calls, attributes and subscripts by ``host_node``; nothing else can answer.
        A lone constant or name (a third of all values) is judged without the walk: what it gives."""
        if type(value) is ast.Constant:
            text = value.value
            return type(text) is str and len(text) < 40 and secret_name(text), None, False
        if type(value) is ast.Name:
            name = value.id
            secret = secret_name(name) or (self.func, name) in self.secret_vars
            return secret, name if name in self.sourced else None, False
        want_decoder = type(value) is ast.Call
        secret, carried, decoder = False, None, not want_decoder
        guarded: set[int] = set()
        sourced, secret_vars, func, fields_of = self.sourced, self.secret_vars, self.func, _FLOW_FIELDS.get
        stack: list[Any] = [value]
        budget = SUBTREE_BUDGET
        while stack and budget > 0:
            sub = stack.pop()
            kind = type(sub)
            fields = fields_of(kind)
            if fields is None:  # not a node (None or a name in a list of children): bounded_walk skips it
                continue
            budget -= 1
            if kind is ast.Name:
                name = sub.id
                if not secret:
                    secret = secret_name(name) or (func, name) in secret_vars
                if carried is None and name in sourced and not (sourced[name] and id(sub) in guarded):
                    carried = name
            elif kind is ast.Constant:
                if not secret:
                    text = sub.value
                    secret = type(text) is str and len(text) < 40 and secret_name(text)
            elif kind in _FLOW_KINDS:
                q = self.resolve(sub.func) if kind is ast.Call and (carried is None or not decoder) else None
                if not secret and kind is ast.Attribute:
                    secret = secret_name(sub.attr)
                if carried is None:
                    carried = self.host_node(sub, guarded, q)
                if not decoder and q:
                    decoder = calls.is_decoder(q)
            if secret and carried is not None and decoder:
                break
            for field in fields:
                child = getattr(sub, field, None)
                if type(child) is list:
                    stack.extend(child)
                elif child is not None:
                    stack.append(child)
            if kind in _WITH_CONTEXT and budget > 0:
                budget -= 1  # its ``ctx`` (last of its fields: the next node bounded_walk gives), a leaf
        return secret, carried, decoder and want_decoder

    def visit_call(self, node: ast.Call, top: bool) -> None:
        q = self.resolve(node.func)
        if q is None:
            self.note_local_calls(node, False)
            if self.track_flow:
                self.note_param_call(node)
            return
        token, feats, sink, destination, special, root, callbacks = call_profile(q)
        if token is not None:
            self.scan.token(token)
        if root:
            self.fold_call(node, q, top)
        strong = True
        if q in calls.EXEC_NAMES:
            strong = self.visit_exec(node, top)
            if not strong:
                self.weak_exec.add(id(node))
        for f in feats:
            self.hit(f, node, f"{signal(f)}: {q}", top, strong)
        self.note_local_calls(node, callbacks)
        if self.upload.gate:
            self.upload_call(node, q, feats)
        if self.track_flow and q.startswith("*."):
            self.note_param_call(node)  # self.helper(...)
        if sink:
            self.visit_sink(node, q, top)
        if destination:
            self.visit_destination(node, q)
        if special:
            self.visit_special_call(node, q, top)

    def visit_special_call(self, node: ast.Call, q: str, top: bool) -> None:
        """The checks of a few calls by name (``q`` is one of _SPECIAL_CALLS)."""
        if q in ("getattr", "builtins.getattr") and len(node.args) >= 2:
            attr = node.args[1]
            if not isinstance(attr, ast.Constant):
                self.hit("code.dynamic_getattr", node, "getattr with a computed name", top)
            elif isinstance(attr.value, str) and attr.value in calls.DANGEROUS_ATTRS:
                self.hit("code.dynamic_getattr", node, f"getattr(..., {attr.value!r})", top)
        elif q in ("importlib.import_module", "importlib.__import__") and node.args:
            if not isinstance(node.args[0], ast.Constant):
                self.hit("code.dunder_import", node, "importlib with a computed module name", top)
        elif q == "chr":
            self.chr_calls.append(node.lineno)
        elif q in ("bytes", "bytearray") and node.args and isinstance(node.args[0], ast.List | ast.Tuple):
            if len(node.args[0].elts) >= 16:
                self.hit(
                    "code.hex_chr_chains", node, f"{q}() from a list of {len(node.args[0].elts)} codes", top
                )
        elif q == "map" and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id == "chr":
            self.hit("code.hex_chr_chains", node, "map(chr, ...)", top)
        elif q == "os.dup2":
            self.seen.add("dup2")
        elif q in ("os.chmod", "os.startfile"):
            self.seen.add("run_file")
        if self.is_setup and q in calls.SETUP_NAMES:
            self.visit_setup_call(node, top)
        if watched(q):
            self.note_watched(node, q)

    def finish(self, tree: ast.AST) -> None:
        scan = self.scan
        if len(self.chr_calls) >= 8:
            line = self.chr_calls[0]
            scan.add(
                Hit("code.hex_chr_chains", line, f"{len(self.chr_calls)} chr() calls", self.lines.get(line))
            )
            scan.token("flow:chr_chain")
        if scan.strong["code.socket"] and "dup2" in self.seen:
            line = self.first_line.get("code.socket", 0)
            scan.add(Hit("code.reverse_shell", line, "socket plus os.dup2", self.lines.get(line)))
            scan.token("flow:socket_dup2")
        runs = scan.strong["code.os_system"] + scan.strong["code.subprocess"] + scan.strong["code.exec_eval"]
        if "spawned_download" in self.seen and (runs > 1 or "run_file" in self.seen):
            line = self.first_line["spawned_download"]
            message = "a program downloaded by a started process, and another process started"
            scan.add(Hit("code.download_exec", line, message, self.lines.get(line)))
            scan.token("flow:download_and_run")
        elif scan.strong["code.http"] and (runs or "run_file" in self.seen):
            line = self.first_line.get("code.http", 0)
            scan.add(
                Hit(
                    "code.download_exec",
                    line,
                    "network request plus process/exec in one file",
                    self.lines.get(line),
                )
            )
            scan.token("flow:download_and_run")
        if self.is_setup and isinstance(tree, ast.Module):
            self.setup_toplevel(tree)
        self.finish_param_flows()
        self.finish_upload()
        self.finish_remote()
        self.import_reach()
        self.flush_folded_urls()
        self.finish_beacon(tree)
        self.finish_clipboard(tree)
