"""setup.py checks of the syntax-tree pass: cmdclass and entry points given to setup(), and top-level
statements beyond imports, constants, definitions and setup()."""

from __future__ import annotations

import ast

from vetpy.features import calls
from vetpy.features.roles import PIP_COMMANDS
from vetpy.features.source.astutil import small
from vetpy.features.source.state import EP_RE, WalkState


def runs_on_install(cmdclass: ast.expr) -> bool:
    """Whether a ``cmdclass`` value can replace a command pip runs: anything but a literal dict whose keys
    are all commands pip never issues (``{"test": PyTest}``, ``{"upload": ...}``)."""
    if not isinstance(cmdclass, ast.Dict) or not cmdclass.keys:
        return True
    keys = [k.value if isinstance(k, ast.Constant) else None for k in cmdclass.keys]
    return any(not isinstance(k, str) or k in PIP_COMMANDS for k in keys)


class SetupChecks(WalkState):
    """What a setup.py does besides declaring the package."""

    def visit_setup_call(self, node: ast.Call, top: bool) -> None:
        for kw in node.keywords:
            if kw.arg == "cmdclass" and runs_on_install(kw.value):
                self.hit("install.cmdclass", node, "setup(cmdclass=...)", top)
                self.scan.token("setup:cmdclass")
            elif kw.arg == "entry_points":
                for sub in ast.walk(kw.value) if small(kw.value) else ():
                    if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                        for ln in sub.value.splitlines():
                            m = EP_RE.match(ln)
                            if m:
                                self.scan.entry_modules.append(m.group(1))

    def setup_toplevel(self, tree: ast.Module) -> None:
        """Top-level statements of setup.py beyond imports, constants, defs and setup()."""
        body: list[ast.stmt] = list(tree.body)
        i = 0
        while i < len(body) and i < 2000:
            stmt = body[i]
            i += 1
            if isinstance(stmt, ast.If | ast.Try | ast.With):
                body.extend(stmt.body)
                if isinstance(stmt, ast.If):
                    body.extend(stmt.orelse)
                elif isinstance(stmt, ast.Try):
                    body.extend(stmt.orelse)
                    body.extend(stmt.finalbody)
                    for h in stmt.handlers:
                        body.extend(h.body)
                continue
            if isinstance(stmt, ast.For | ast.While | ast.AsyncFor):
                self.hit("install.setup_code", stmt, "top-level loop in setup.py", True)
                self.scan.token("setup:toplevel_loop")
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                q = self.resolve(stmt.value.func) or "?"
                if q not in calls.HARMLESS_TOPLEVEL and id(stmt.value) not in self.weak_exec:
                    self.hit("install.setup_code", stmt, f"top-level call {q} in setup.py", True)
                    self.scan.token(f"setup:toplevel_call:{q}")
