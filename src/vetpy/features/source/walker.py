"""The single syntax-tree pass over one module (iterative: deep trees cannot exhaust the C stack)."""

from __future__ import annotations

import ast

from vetpy.features import calls
from vetpy.features.registry import signal
from vetpy.features.scripts import script_kinds
from vetpy.features.source.astutil import CHILD_FIELDS, LEAVES, child_fields, is_main_guard
from vetpy.features.source.destinations import DestinationChecks
from vetpy.features.source.facts import Hit
from vetpy.features.source.flow import FlowChecks
from vetpy.features.source.literals import scan_string
from vetpy.features.source.reach import ImportReach
from vetpy.features.source.setup_checks import SetupChecks
from vetpy.features.source.state import WHOLE_ENV

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
_VISITED: frozenset[type] = frozenset(
    {ast.Call, ast.Constant, ast.Expr, ast.Import, ast.ImportFrom, ast.Attribute, ast.Assign, ast.ClassDef}
)
_FUNCS: frozenset[type] = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda})


class Walker(FlowChecks, SetupChecks, ImportReach, DestinationChecks):
    """Visits every node once and records its hits, tokens, URLs and entry points in the builder."""

    def run(self, tree: ast.AST) -> None:
        """Visit every node in pre-order. Leaves no check reads (names, contexts, operators) are never
        pushed and each node type's child fields come from a table: the same visits, less work."""
        stack: list[tuple[ast.AST, bool, str | None, bool]] = [(tree, False, None, False)]
        visited, funcs, leaves, base = _VISITED, _FUNCS, LEAVES, ast.AST
        while stack:
            node, in_func, func, in_main = stack.pop()
            kind = type(node)
            if kind in visited:
                self.func, self.in_main = func, in_main
                self.visit(node, in_func)
            fields = CHILD_FIELDS.get(kind)
            if fields is None:
                fields = child_fields(kind)
            if not fields:
                continue
            child_in_func = in_func or kind in funcs
            if func is None and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                func = node.name
                self.defined.add(func)
            if func is not None and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.note_params(func, node)
            child_main = in_main or (func is None and isinstance(node, ast.If) and is_main_guard(node.test))
            children = []
            for name in fields:
                value = getattr(node, name, None)
                if type(value) is list:
                    for child in value:
                        if isinstance(child, base) and type(child) not in leaves:
                            children.append((child, child_in_func, func, child_main))
                elif isinstance(value, base) and type(value) not in leaves:
                    children.append((value, child_in_func, func, child_main))
            children.reverse()
            stack.extend(children)
        self.finish(tree)

    def visit(self, node: ast.AST, in_func: bool) -> None:
        top = not in_func
        if isinstance(node, ast.Call):
            self.visit_call(node, top)
        elif isinstance(node, ast.Constant):
            if id(node) not in self.skip and isinstance(node.value, str) and node.value:
                scan_string(self.scan, node.value, node.lineno, self.lines, top)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            self.skip.add(id(node.value))  # docstrings and bare strings are comments
            if isinstance(node.value.value, str) and "prompt_injection" in script_kinds(node.value.value):
                self.scan.token("script:prompt_injection")  # a tool description read by a language model
        elif isinstance(node, ast.Import):
            for a in node.names:
                self.aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
                self.import_token(a.name, node, top)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                self.import_token(node.module, node, top)
                for a in node.names:
                    if a.name != "*":
                        self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Attribute):
            if node.attr in ("environ", "windll", "environb"):
                q = self.resolve(node)
                if q in ("os.environ", "os.environb"):
                    self.hit("code.env_access", node, "reads os.environ", top)
                    self.scan.token("attr:os.environ")
                elif q and q.startswith("ctypes."):
                    self.hit("code.ctypes_win", node, f"uses {q}", top)
        elif isinstance(node, ast.Assign):
            self.visit_assign(node)
        elif isinstance(node, ast.ClassDef) and self.is_setup:
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

    def visit_assign(self, node: ast.Assign) -> None:
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            return
        target = node.targets[0].id
        value = node.value
        if isinstance(value, ast.Name | ast.Attribute):
            q = self.resolve(value)
            if q and not q.startswith("*") and (calls.features_for(q) or q in calls.EXEC_NAMES):
                self.aliases[target] = q
        if not self.track_flow:  # no sink or exec can be called in this file: flows are never read
            return
        self.note_constant(target, value)
        self.note_secret_assignment(target, value)
        carried = self.host_data(value)
        if carried:
            self.sourced[target] = carried == WHOLE_ENV
        if isinstance(value, ast.Call):
            for q, _ in self.subtree_calls(value):
                if q and calls.is_decoder(q):
                    self.tainted.add((self.func, target))
                    break

    def visit_call(self, node: ast.Call, top: bool) -> None:
        q = self.resolve(node.func)
        if q is None:
            self.note_local_calls(node, "")
            return
        if len(q) < 60 and (
            q.startswith("*.") or q.split(".")[0] not in calls.BUILTIN_NAMES or q in NOTABLE_BUILTINS
        ):
            self.scan.token(f"call:{q}")
        feats = calls.features_for(q)
        strong = True
        if q in calls.EXEC_NAMES:
            strong = self.visit_exec(node, top)
            if not strong:
                self.weak_exec.add(id(node))
        for f in feats:
            self.hit(f, node, f"{signal(f)}: {q}", top, strong)
        self.note_local_calls(node, q)
        if calls.SINK_FEATURES.intersection(feats) or q in calls.SEND_NAMES:
            self.visit_sink(node, q, top)
        if {"code.http", "code.socket"}.intersection(feats) or q.startswith("*."):
            self.visit_destination(node, q)
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
        if scan.strong["code.http"] and (runs or "run_file" in self.seen):
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
        self.import_reach()
