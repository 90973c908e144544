"""Flows through this module's own functions: run-time decoded data or host data passed as an argument to
a function of the same file whose parameter reaches exec/eval, a network call or a process.

The single walk sees a call before or after the function it calls, so it only notes three things: each
function's parameters (by the function's name), the parameters that reach a sink inside it, and the calls
of local functions (``helper(x)``, ``self.helper(x)``); :meth:`ParamFlowChecks.passed_to_sinks` joins them
at the end, and the flow checks (flow.py) judge what each argument carries, with the taint of the whole
walk. One level deep: a helper that posts what it is given, an inner function that runs what its caller
decoded, as a stealer or a dropper splits its work; the evidence is the call, and the message names the
sink's line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from vetpy.features.source.astutil import bounded_walk
from vetpy.features.source.state import ParamFlowState, WalkState

#: What a parameter reaches: exec/eval, a network call (which may send it), or a process.
EXEC, NETWORK, PROCESS = "exec", "network", "process"
_SELF = ("self", "cls")
_MAX_CALLS = 5_000  # local calls noted per file (a generated module can hold very many)
#: A local call's argument bound for a sink: the call, ``callee(param)``, the argument, the sink.
_Passed = tuple[ast.Call, str, ast.expr, tuple[str, str, int]]


class ParamFlowChecks(WalkState):
    """Decoded or host data handed to a local function whose parameter reaches a sink."""

    def note_def(self, owner: str, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """A function of this module (``owner``: its outermost function, itself at the top)."""
        a = node.args
        self.param_flow.defs.setdefault(node.name, (owner, tuple(p.arg for p in (*a.posonlyargs, *a.args))))

    def note_param_sink(self, args: Sequence[ast.AST], kind: str, q: str, line: int) -> None:
        """The parameters of the current function that the arguments of a sink (``kind``) use."""
        params = self.params.get(self.func or "")
        if not params:
            return
        sinks = self.param_flow.sinks
        for arg in args:
            for sub in bounded_walk(arg):
                if type(sub) is ast.Name and sub.id in params:
                    sinks.setdefault((self.func, sub.id), (kind, q, line))

    def note_param_call(self, node: ast.Call) -> None:
        """A call that may be of this module's own function, with arguments: judged at the end."""
        if not (node.args or node.keywords) or len(self.param_flow.calls) >= _MAX_CALLS:
            return
        f = node.func
        if type(f) is ast.Name and f.id not in self.aliases:
            self.param_flow.calls.append((self.func, self.in_main, node, f.id, False))
        elif type(f) is ast.Attribute and type(f.value) is ast.Name and f.value.id in _SELF:
            self.param_flow.calls.append((self.func, self.in_main, node, f.attr, True))

    def passed_to_sinks(self) -> Iterator[_Passed]:
        """Each argument of a local call whose parameter reaches a sink: the call, where the argument goes
        (``callee(param)``), the argument, and the sink (what, its name, its line); the walk's context
        (``func``, ``in_main``) is set to the call's while it is judged."""
        state = self.param_flow
        if not state.sinks:
            return
        context = self.func, self.in_main
        try:
            yield from self._passed(state)
        finally:
            self.func, self.in_main = context

    def _passed(self, state: ParamFlowState) -> Iterator[_Passed]:
        for func, in_main, node, callee, method in state.calls:
            found = state.defs.get(callee)
            if found is None:
                continue
            owner, params = found
            if method and params and params[0] in _SELF:
                params = params[1:]
            passed = [(params[i], arg) for i, arg in enumerate(node.args[: len(params)])]
            passed += [(kw.arg, kw.value) for kw in node.keywords if kw.arg in params]
            self.func, self.in_main = func, in_main
            for param, arg in passed:
                sink = state.sinks.get((owner, param))
                if sink is not None:
                    yield node, f"{callee}({param})", arg, sink
