"""Strings a module builds from constants (fold.py) go through the same detectors as string literals:
URLs, path/command patterns, foreign-language code and what they decode to, with the line of the
expression as evidence. Names built the same way count where a name is read: ``getattr(os, "sys" +
"tem")`` is ``os.system``, ``__import__("o" + "s")`` is ``os``."""

from __future__ import annotations

import ast

from vetpy.features.lexicon import has_lexicon_word
from vetpy.features.scripts import decoded_texts, rescan_tokens, script_kinds
from vetpy.features.source.fold import ROOT_CALLS, Folder, subtree
from vetpy.features.source.hidden import note_hidden
from vetpy.features.source.literals import host_tokens, note_programs, scan_decoded, scan_patterns_once
from vetpy.features.source.state import WalkState
from vetpy.features.urls import find_urls

MIN_FOLDED = 4  # shorter results name nothing a detector reads
MAX_FOLD_CONSTANT = 20_000  # module-level constants longer than this are not folded into expressions
_CHAINABLE = (ast.Constant, ast.Call, ast.Subscript, ast.JoinedStr, ast.Name)


class FoldChecks(WalkState):
    """Folds the outermost foldable expression of each kind; its parts are not folded again."""

    def note_fold_constant(self, target: str, value: ast.expr) -> None:
        """Module-level names bound once to a text constant are constants to the folder."""
        if self.func is not None:
            return
        if (
            isinstance(value, ast.Constant)
            and isinstance(value.value, str | bytes)
            and len(value.value) <= MAX_FOLD_CONSTANT
            and target not in self.rebound
        ):
            self.fold_constants[target] = value.value
            return
        self.fold_constants.pop(target, None)
        self.rebound.add(target)

    def folder(self) -> Folder:
        return Folder(self.fold_constants, self.resolve)

    def visit_binop(self, node: ast.BinOp, top: bool) -> None:
        """A chain ``a + b + c``: each maximal run of operands that fold to text is one string."""
        if type(node.op) is not ast.Add or id(node) in self.folded:
            return
        operands: list[ast.expr] = []
        stack: list[ast.expr] = [node]
        while stack:
            cur = stack.pop()
            if type(cur) is ast.BinOp and type(cur.op) is ast.Add:
                self.folded.add(id(cur))
                stack += [cur.right, cur.left]
            else:
                operands.append(cur)
        if not any(type(o) is ast.Constant and isinstance(o.value, str | bytes) for o in operands):
            return
        run: list[str] = []
        pieces: list[str] = []
        obfuscated = False
        for operand in [*operands, None]:
            text = None
            if operand is not None and isinstance(operand, _CHAINABLE):
                folder = self.folder()
                text = folder.fold(operand)
                if text is not None:
                    obfuscated = obfuscated or folder.obfuscated
                    run.append(text)
                    pieces += folder.pieces
                    if type(operand) is not ast.Constant:
                        self.folded.update(id(n) for n in subtree(operand))
                    continue
            if len(run) > 1 or (run and obfuscated):
                self.scan_folded("".join(run), pieces, node, top, obfuscated)
            run, pieces, obfuscated = [], [], False

    def visit_subscript(self, node: ast.Subscript, top: bool) -> None:
        if isinstance(node.slice, ast.Slice) and node.slice.step is not None and id(node) not in self.folded:
            self.fold_root(node, top)

    def fold_call(self, node: ast.Call, q: str, top: bool) -> None:
        if (q in ROOT_CALLS or q.endswith(".fromhex")) and id(node) not in self.folded:
            self.fold_root(node, top)

    def fold_root(self, node: ast.expr, top: bool) -> None:
        folder = self.folder()
        text = folder.fold(node)
        if text is None:
            return
        self.folded.update(id(n) for n in subtree(node))
        self.scan_folded(text, folder.pieces, node, top, folder.obfuscated)

    def scan_folded(self, text: str, pieces: list[str], node: ast.AST, top: bool, obfuscated: bool) -> None:
        """``text``, built at ``node`` from the constants ``pieces``, through the string detectors: what
        the pieces (or what they decode to) already showed is not counted again; its URLs join at the end
        of the walk (:meth:`flush_folded_urls`); ``decoded:folded`` when it was built from character
        codes, a reversal or a decoder."""
        if len(text) < MIN_FOLDED:
            return
        covered = list(pieces)
        for piece in pieces:
            covered += decoded_texts(piece)
        if text in covered:
            return
        line = getattr(node, "lineno", 0) or 0
        head = text[:20_000]
        urls = list(find_urls(head))
        self.fold_urls.extend((line, hit) for _, hit in urls)
        scan_patterns_once(self.scan, head, line, self.lines, covered, top)
        if has_lexicon_word(head):
            host_tokens(self.scan, head)
        tokens = rescan_tokens(head, urls) if obfuscated else set()
        note_hidden(self.scan, tokens, line, head)
        tokens.update(f"script:{kind}" for kind in script_kinds(head))
        if obfuscated:
            tokens.add("decoded:folded")
        for token in sorted(tokens):
            self.scan.token(token)
        scan_decoded(self.scan, decoded_texts(head), line, top)
        note_programs(self.scan, text, line, top)

    def flush_folded_urls(self) -> None:
        """The URLs of built strings to hosts no string literal (or its decoding) of the file showed."""
        known = {hit.host for _, hit in self.scan.urls}
        for line, hit in self.fold_urls:
            if hit.host not in known:
                known.add(hit.host)
                self.scan.urls.append((line, hit))

    def folded_name(self, node: ast.expr) -> str | None:
        """The name an expression spells, when it folds to a short identifier-like text."""
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        text = self.folder().fold(node)
        if text is None or not 0 < len(text) <= 100 or not text.replace(".", "").isidentifier():
            return None
        return text

    def call_base(self, call: ast.Call) -> str | None:
        """As :meth:`WalkState.call_base`, with names the module builds: ``__import__("o" + "s")`` is
        ``os``, ``getattr(os, "sys" + "tem")`` is ``os.system`` and ``getattr(__builtins__, n)`` the
        builtin ``n``."""
        inner = call.func
        if isinstance(inner, ast.Name) and inner.id == "__import__":
            name = self.folded_name(call.args[0])
            # without a fromlist, __import__("a.b") returns the top-level package a (the attributes
            # that follow, ``.b.f``, name the rest)
            return name if name is None or _has_fromlist(call) else name.split(".", 1)[0]
        if isinstance(inner, ast.Attribute) and inner.attr == "import_module":
            return self.folded_name(call.args[0])
        if isinstance(inner, ast.Name) and inner.id == "getattr" and len(call.args) >= 2:
            attr = self.folded_name(call.args[1])
            obj = call.args[0]
            if attr is None:
                return None
            if isinstance(obj, ast.Name) and obj.id in ("__builtins__", "builtins"):
                return attr
            owner = self.resolve(obj)
            return None if owner is None or owner.startswith("*") else f"{owner}.{attr}"
        return None


def _has_fromlist(call: ast.Call) -> bool:
    """Whether an ``__import__`` call may pass a non-empty fromlist (its fourth argument or keyword)."""
    given = (
        call.args[3]
        if len(call.args) > 3
        else next((k.value for k in call.keywords if k.arg == "fromlist"), None)
    )
    return given is not None and not (
        (isinstance(given, ast.Constant) and not given.value)
        or (isinstance(given, ast.List | ast.Tuple) and not given.elts)
    )
