"""One pass over a Python file: an iterative ``ast`` walk with import-alias resolution, or a regex
fallback when the file does not parse (Python 2, junk, NUL bytes, pathological nesting)."""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from vetpy.features import calls
from vetpy.features import strings as st
from vetpy.features.roles import PIP_COMMANDS
from vetpy.features.scripts import decoded_tokens, script_kinds
from vetpy.features.urls import UrlHit, bare_ip, find_urls

MAX_AST_BYTES = 2_000_000  # larger files are scanned with the regex fallback
MAX_EXAMPLES = 5
MAX_TOKENS_PER_FILE = 400
SUBTREE_BUDGET = 400
WHOLE_ENV = "os.environ (all of it)"
EP_RE = re.compile(r"^\s*[\w.\- ]+?\s*=\s*([A-Za-z_][\w.]*)\s*(?::\s*[\w.]+)?\s*(?:\[.*\])?\s*$")

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
MESSAGES: dict[str, str] = {
    "code.exec_eval": "runs dynamic code",
    "code.compile": "compiles code at run time",
    "code.dunder_import": "imports a module by computed name",
    "code.dynamic_getattr": "looks up an attribute by computed name",
    "code.decode_exec": "decodes data and runs it as code",
    "code.base64": "decodes base64",
    "code.marshal_zlib": "unpacks marshal/zlib/lzma data",
    "code.subprocess": "starts a process",
    "code.os_system": "runs a shell command",
    "code.reverse_shell": "reverse-shell pattern",
    "code.socket": "opens a raw socket",
    "code.http": "makes a network request",
    "code.download_exec": "downloads and runs something",
    "code.credential_read": "touches credential or browser data",
    "code.env_access": "reads environment variables",
    "code.startup_write": "touches a start-up location",
    "code.system_info": "collects host information",
    "code.ctypes_win": "uses ctypes / Windows APIs",
    "code.hex_chr_chains": "builds strings from hex escapes or chr() codes",
    "code.obfuscator": "obfuscator marker",
    "code.long_lines": "very long source line",
    "code.high_entropy_strings": "long high-entropy string literal",
    "code.long_strings": "string literal over 200 characters",
    "paper.long_string": "string literal over 40 characters",
    "install.cmdclass": "setup() overrides install commands",
    "install.setup_code": "setup.py runs code at top level",
    "code.decoded_sink": "network/process call on run-time decoded data",
    "code.exfil_flow": "sends host data over the network",
}


@dataclass(frozen=True)
class Hit:
    """One place a signal fired; ``strong`` False marks benign-leaning forms (exec of a local file)."""

    feature: str
    line: int
    message: str
    snippet: str
    strong: bool = True


@dataclass
class FileScan:
    """Everything one Python file contributes to the package features."""

    path: str
    parsed: bool = True
    error: str | None = None
    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[Hit]] = field(default_factory=dict)
    module_level: Counter[str] = field(default_factory=Counter)
    strong: Counter[str] = field(default_factory=Counter)
    tokens: dict[str, None] = field(default_factory=dict)
    urls: list[tuple[int, UrlHit]] = field(default_factory=list)
    entry_modules: list[str] = field(default_factory=list)
    max_entropy: float = 0.0
    pending_strings: list[tuple[str, int, bool]] = field(default_factory=list)
    import_time: dict[str, Hit] = field(default_factory=dict)

    def add(self, hit: Hit, module_level: bool = False) -> None:
        self.counts[hit.feature] += 1
        if hit.strong:
            self.strong[hit.feature] += 1
            if module_level:
                self.module_level[hit.feature] += 1
        ex = self.examples.setdefault(hit.feature, [])
        if len(ex) < MAX_EXAMPLES:
            ex.append(hit)

    def token(self, tok: str) -> None:
        if len(self.tokens) < MAX_TOKENS_PER_FILE:
            self.tokens[tok[:80]] = None

    @property
    def suspicious_url(self) -> bool:
        return any(h.suspicious for _, h in self.urls)


def decode_source(data: bytes) -> str:
    """Decode Python source: BOM / PEP 263 cookie, else UTF-8, else latin-1 (never raises)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except (SyntaxError, LookupError):
        encoding = "utf-8"
    for enc in (encoding, "utf-8", "latin-1"):
        try:
            return data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1")  # pragma: no cover - latin-1 always decodes


class _Lines:
    """Lazy access to source lines for snippets."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: list[str] | None = None

    def get(self, line: int) -> str:
        if self._lines is None:
            self._lines = self._text.splitlines()
        if 1 <= line <= len(self._lines):
            return st.snippet(self._lines[line - 1][:2000])
        return ""


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _scan_text_patterns(scan: FileScan, text: str, lines: _Lines) -> None:
    """Signals read off raw source text: hex escapes, obfuscator markers, long lines."""
    for feature, finder in (
        ("code.hex_chr_chains", st.find_hex_escapes),
        ("code.obfuscator", st.find_obfuscator),
    ):
        for offset, matched in finder(text)[:50]:
            line = _line_of(text, offset)
            scan.add(Hit(feature, line, f"{MESSAGES[feature]}: {matched[:40]}", lines.get(line)))
            scan.token("str:hex_escapes" if feature == "code.hex_chr_chains" else "str:obfuscator")
    start = 0
    line_no = 1
    if len(text) > st.LONG_LINE:
        for raw in text.split("\n"):
            if len(raw) > st.LONG_LINE:
                scan.add(
                    Hit("code.long_lines", line_no, f"line of {len(raw)} characters", st.snippet(raw[:200]))
                )
                scan.token("src:long_line")
            line_no += 1
            start += len(raw) + 1


def _scan_string(scan: FileScan, value: str, line: int, lines: _Lines, module_level: bool) -> None:
    """Signals carried by one string literal (not a docstring)."""
    n = len(value)
    if n > st.LONG_STRING:
        scan.add(Hit("paper.long_string", line, f"{MESSAGES['paper.long_string']} ({n})", lines.get(line)))
        entropy = st.shannon_entropy(value)
        scan.max_entropy = max(scan.max_entropy, entropy)
        if st.is_high_entropy(value, entropy):
            scan.add(
                Hit(
                    "code.high_entropy_strings",
                    line,
                    f"string of {n} chars, entropy {entropy:.2f}",
                    lines.get(line),
                )
            )
            scan.token("str:high_entropy")
        if n > st.VERY_LONG_STRING:
            scan.add(Hit("code.long_strings", line, f"string literal of {n} characters", lines.get(line)))
            scan.token("str:very_long")
    head = value[:20_000]
    if n >= 7 and ("//" in head or value[0].isdigit()):
        for _, hit in find_urls(head):
            scan.urls.append((line, hit))
        ip = bare_ip(value) if n <= 21 else None
        if ip is not None:
            scan.urls.append((line, ip))
    if n >= _MIN_PATTERN_STRING:
        scan.pending_strings.append((head, line, module_level))
    if n >= 12:  # code in another language, and constants that decode to something (scripts.py)
        for token in [f"script:{k}" for k in script_kinds(head)] + decoded_tokens(head):
            scan.token(token)


_STRING_PATTERNS = (
    ("code.credential_read", st.CREDENTIAL_RE, "str:credential_path", st.PATTERN_HINTS["credential"]),
    ("code.startup_write", st.STARTUP_RE, "str:startup_path", st.PATTERN_HINTS["startup"]),
    ("code.reverse_shell", st.SHELL_RE, "str:shell_command", st.PATTERN_HINTS["shell"]),
    ("code.download_exec", st.DOWNLOAD_RUN_RE, "str:download_run", st.PATTERN_HINTS["download"]),
    ("code.system_info", st.IP_LOOKUP_RE, "str:ip_lookup", st.PATTERN_HINTS["ip_lookup"]),
)
_MIN_PATTERN_STRING = 4  # no pattern above matches fewer characters


def _scan_string_patterns(scan: FileScan, lines: _Lines) -> None:
    """Path/command patterns over a file's string literals, each searched only in the strings that hold
    one of its literal hints (per-string regex searches cost seconds on files with 100k literals)."""
    pending = scan.pending_strings
    if not pending:
        return
    lowered = [head.lower() for head, _, _ in pending]
    for feature, pattern, tok, hints in _STRING_PATTERNS:
        for (head, line, module_level), low in zip(pending, lowered, strict=True):
            if not any(h in low for h in hints):
                continue
            m = pattern.search(head)
            if m:
                scan.add(
                    Hit(feature, line, f"{MESSAGES[feature]}: {m.group(0)[:40]!r}", lines.get(line)),
                    module_level,
                )
                scan.token(tok)
    pending.clear()


class _Walker:
    """The single AST pass over one module (iterative: deep trees cannot exhaust the C stack)."""

    def __init__(self, scan: FileScan, text: str, is_setup: bool) -> None:
        self.scan = scan
        self.lines = _Lines(text)
        self.is_setup = is_setup
        self.aliases: dict[str, str] = {}
        self.tainted: set[tuple[str | None, str]] = set()  # (function or None for module level, name)
        self.skip: set[int] = set()
        self.chr_calls: list[int] = []
        self.seen: set[str] = set()
        self.first_line: dict[str, int] = {}
        self.weak_exec: set[int] = set()
        self.sourced: dict[str, bool] = {}  # name -> holds the whole environment (only bare use counts)
        # import-time reachability: where a hit sits (None: module level) and which local names each
        # place calls; module-level code under ``if __name__ == "__main__"`` is not import-time.
        self.func: str | None = None
        self.in_main = False
        self.defined: set[str] = set()
        self.calls_from: dict[str | None, dict[str, int]] = {}
        self.func_hits: dict[str, dict[str, Hit]] = {}

    # --- resolution ---------------------------------------------------------------------------
    def resolve(self, node: ast.AST) -> str | None:
        parts: list[str] = []
        cur = node
        while isinstance(cur, ast.Attribute) and len(parts) < 8:
            parts.append(cur.attr)
            cur = cur.value
        base: str | None = None
        if isinstance(cur, ast.Name):
            base = self.aliases.get(cur.id)
            if base is None and cur.id in calls.BUILTIN_NAMES:
                base = cur.id
        elif isinstance(cur, ast.Call) and cur.args and isinstance(cur.args[0], ast.Constant):
            inner = cur.func
            if (isinstance(inner, ast.Name) and inner.id == "__import__") or (
                isinstance(inner, ast.Attribute) and inner.attr == "import_module"
            ):
                arg = cur.args[0].value
                base = arg if isinstance(arg, str) else None
        elif isinstance(cur, ast.Constant) and isinstance(cur.value, str | bytes):
            base = "str" if isinstance(cur.value, str) else "bytes"
        if base is None:
            return "*." + parts[0] if parts else None
        return ".".join([base, *reversed(parts)])

    def _subtree_calls(self, node: ast.AST) -> Iterator[tuple[str | None, ast.AST]]:
        for cur in _bounded_walk(node):
            if isinstance(cur, ast.Call):
                yield self.resolve(cur.func), cur
            elif isinstance(cur, ast.Name):
                yield None, cur

    # --- visiting -------------------------------------------------------------------------------
    def hit(self, feature: str, node: ast.AST, message: str, module_level: bool, strong: bool = True) -> None:
        line = getattr(node, "lineno", 0) or 0
        found = Hit(feature, line, message, self.lines.get(line), strong)
        self.scan.add(found, module_level)
        self.first_line.setdefault(feature, line)
        if strong and feature in calls.INIT_FEATURES:
            if self.func is not None:
                self.func_hits.setdefault(self.func, {}).setdefault(feature, found)
            elif module_level and not self.in_main:
                self.scan.import_time.setdefault(feature, found)

    def run(self, tree: ast.AST) -> None:
        stack: list[tuple[ast.AST, bool, str | None, bool]] = [(tree, False, None, False)]
        visited = _VISITED
        funcs = _FUNCS
        while stack:
            node, in_func, func, in_main = stack.pop()
            kind = type(node)
            if kind in visited:
                self.func, self.in_main = func, in_main
                self.visit(node, in_func)
            child_in_func = in_func or kind in funcs
            if func is None and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                func = node.name
                self.defined.add(func)
            child_main = in_main or (func is None and isinstance(node, ast.If) and _is_main_guard(node.test))
            children = [
                (child, child_in_func, func, child_main)
                for name in node._fields
                for value in _as_list(getattr(node, name, None))
                if isinstance(child := value, ast.AST)
            ]
            children.reverse()
            stack.extend(children)
        self.finish(tree)

    def visit(self, node: ast.AST, in_func: bool) -> None:
        top = not in_func
        if isinstance(node, ast.Call):
            self.visit_call(node, top)
        elif isinstance(node, ast.Constant):
            if id(node) not in self.skip and isinstance(node.value, str) and node.value:
                _scan_string(self.scan, node.value, node.lineno, self.lines, top)
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
        carried = self._host_data(value)
        if carried:
            self.sourced[target] = carried == WHOLE_ENV
        if isinstance(value, ast.Call):
            for q, _ in self._subtree_calls(value):
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
            self.hit(f, node, f"{MESSAGES.get(f, f)}: {q}", top, strong)
        self.note_local_calls(node, q)
        if calls.SINK_FEATURES.intersection(feats) or q in calls.SEND_NAMES:
            self.visit_sink(node, q, top)
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

    def note_local_calls(self, node: ast.Call, q: str) -> None:
        """Record calls of names that may be this module's functions, directly or handed to a thread,
        timer, process or exit hook, for the import-time reachability in :meth:`finish`."""
        names: list[ast.expr] = []
        if isinstance(node.func, ast.Name) and node.func.id not in self.aliases:
            names.append(node.func)
        if q.rsplit(".", 1)[-1] in calls.CALLBACK_TAKERS:
            names.extend(node.args)
            names.extend(kw.value for kw in node.keywords)
        where = None if self.func is None and not self.in_main else self.func or ""
        place = self.calls_from.setdefault(where, {})
        for n in names:
            if isinstance(n, ast.Name):
                place.setdefault(n.id, node.lineno)

    def _host_data(self, node: ast.AST) -> str | None:
        """What host data an expression carries: user/host facts, credentials, or the whole environment."""
        guarded: set[int] = set()
        for sub in _bounded_walk(node):
            if isinstance(sub, ast.Subscript) or (
                isinstance(sub, ast.Attribute) and sub.attr in ("get", "setdefault", "pop")
            ):
                guarded.add(id(sub.value))
            elif isinstance(sub, ast.Name) and sub.id in self.sourced:
                if not (self.sourced[sub.id] and id(sub) in guarded):
                    return sub.id
            elif isinstance(sub, ast.Call):
                q = self.resolve(sub.func) or ""
                if {"code.system_info", "code.credential_read"}.intersection(calls.features_for(q)):
                    return q
            elif (
                isinstance(sub, ast.Attribute)
                and sub.attr in ("environ", "environb")
                and id(sub) not in guarded
                and self.resolve(sub) in ("os.environ", "os.environb")
            ):
                return WHOLE_ENV
        return None

    def is_tainted(self, name: str) -> bool:
        """A name assigned from run-time decoding in the current function, or at module level: a name
        decoded in one method does not taint the same name in another."""
        return (self.func, name) in self.tainted or (None, name) in self.tainted

    def _decoded(self, node: ast.AST) -> bool:
        """Whether an expression decodes data at run time, or uses a name assigned from such decoding."""
        return any(
            (isinstance(sub, ast.Name) and self.is_tainted(sub.id)) or (q is not None and calls.is_decoder(q))
            for q, sub in self._subtree_calls(node)
        )

    def visit_sink(self, node: ast.Call, q: str, top: bool) -> None:
        """A network or process call whose target or payload is decoded at run time, or which sends host
        data (user, host name, credentials, the whole environment)."""
        args: list[ast.AST] = [*node.args, *(kw.value for kw in node.keywords)]
        if any(self._decoded(arg) for arg in args):
            self.hit("code.decoded_sink", node, f"{q} of run-time decoded data", top)
            self.scan.token("flow:decoded_sink")
        if calls.SINK_FEATURES.intersection(calls.features_for(q)) - {"code.http", "code.socket"}:
            return  # processes: sending host data is about the network
        for arg in args:
            carried = self._host_data(arg)
            if carried:
                self.hit("code.exfil_flow", node, f"{q} sends host data ({carried})", top)
                self.scan.token("flow:exfil")
                return

    def visit_exec(self, node: ast.Call, top: bool) -> bool:
        """Classify what exec/eval runs; False when it only runs a local file's text (weak)."""
        reads_file = False
        for arg in node.args[:1]:
            for q, sub in self._subtree_calls(arg):
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

    def visit_setup_call(self, node: ast.Call, top: bool) -> None:
        for kw in node.keywords:
            if kw.arg == "cmdclass" and _runs_on_install(kw.value):
                self.hit("install.cmdclass", node, "setup(cmdclass=...)", top)
                self.scan.token("setup:cmdclass")
            elif kw.arg == "entry_points":
                for sub in ast.walk(kw.value) if _small(kw.value) else ():
                    if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                        for ln in sub.value.splitlines():
                            m = EP_RE.match(ln)
                            if m:
                                self.scan.entry_modules.append(m.group(1))

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

    def import_reach(self) -> None:
        """Add to ``import_time`` what this module's functions do when module-level code calls them."""
        todo = [(name, line) for name, line in self.calls_from.get(None, {}).items() if name in self.defined]
        seen: set[str] = set()
        while todo and len(seen) < 500:
            name, line = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            for feature, found in self.func_hits.get(name, {}).items():
                message = f"{found.message} (in {name}(), called at import)"
                self.scan.import_time.setdefault(feature, Hit(feature, line, message, self.lines.get(line)))
            todo.extend((n, line) for n in self.calls_from.get(name, {}) if n in self.defined)

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


_VISITED: frozenset[type] = frozenset(
    {ast.Call, ast.Constant, ast.Expr, ast.Import, ast.ImportFrom, ast.Attribute, ast.Assign, ast.ClassDef}
)
_FUNCS: frozenset[type] = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda})


def _runs_on_install(cmdclass: ast.expr) -> bool:
    """Whether a ``cmdclass`` value can replace a command pip runs: anything but a literal dict whose keys
    are all commands pip never issues (``{"test": PyTest}``, ``{"upload": ...}``)."""
    if not isinstance(cmdclass, ast.Dict) or not cmdclass.keys:
        return True
    keys = [k.value if isinstance(k, ast.Constant) else None for k in cmdclass.keys]
    return any(not isinstance(k, str) or k in PIP_COMMANDS for k in keys)


def _is_main_guard(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either order)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(x, ast.Name) and x.id == "__name__" for x in sides) and any(
        isinstance(x, ast.Constant) and x.value == "__main__" for x in sides
    )


def _bounded_walk(node: ast.AST) -> Iterator[ast.AST]:
    """Depth-first nodes of a subtree, at most ``SUBTREE_BUDGET`` of them."""
    stack = [node]
    budget = SUBTREE_BUDGET
    while stack and budget > 0:
        cur = stack.pop()
        budget -= 1
        yield cur
        stack.extend(ast.iter_child_nodes(cur))


def _as_list(value: object) -> list[object]:
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, ast.AST) else []


def _small(node: ast.AST) -> bool:
    return sum(1 for _ in zip(range(SUBTREE_BUDGET + 1), ast.walk(node), strict=False)) <= SUBTREE_BUDGET


# --- regex fallback -------------------------------------------------------------------------------
_IMPORT_RE = re.compile(r"^\s*import\s+([\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)", re.M)
_FROM_RE = re.compile(r"^\s*from\s+([\w.]+)\s+import\s+\(?([\w\s,]+)", re.M)
_CALL_RE = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*){0,5})\s*\(")
# A backslash is only ever consumed as an escape (``[^\\]``): with ``.`` both branches could take it and an
# unterminated string of escapes backtracked exponentially (a 100-character line took minutes).
_STR_RE = re.compile(r"""(?P<q>['"])(?P<s>(?:\\.|(?!(?P=q))[^\\]){8,20000}?)(?P=q)""")


def _scan_regex(scan: FileScan, text: str, lines: _Lines, is_setup: bool) -> None:
    """Best-effort scan of source that ``ast`` cannot parse (tables shared with the AST pass)."""
    aliases: dict[str, str] = {}
    for m in _IMPORT_RE.finditer(text[:2_000_000]):
        for part in m.group(1).split(","):
            bits = part.split()
            if not bits:
                continue
            name = bits[0]
            alias = bits[2] if len(bits) == 3 else name.split(".")[0]
            aliases[alias] = name if len(bits) == 3 else name.split(".")[0]
            scan.token(f"import:{name.split('.')[0]}")
    for m in _FROM_RE.finditer(text[:2_000_000]):
        module = m.group(1)
        scan.token(f"import:{module.split('.')[0]}")
        for part in m.group(2).split(","):
            bits = part.split()
            if bits:
                aliases[bits[-1]] = f"{module}.{bits[0]}"
    for line_no, raw in enumerate(text.split("\n"), start=1):
        if line_no > 200_000:
            break
        line = raw[:20_000]
        for m in _CALL_RE.finditer(line):
            dotted = m.group(1)
            head, _, rest = dotted.partition(".")
            base = aliases.get(head) or (head if head in calls.BUILTIN_NAMES else None)
            q = (
                (f"{base}.{rest}" if rest else base)
                if base
                else ("*." + dotted.rsplit(".", 1)[-1] if rest else None)
            )
            if q is None:
                continue
            scan.token(f"call:{q}")
            for f in calls.features_for(q):
                scan.add(Hit(f, line_no, f"{MESSAGES.get(f, f)}: {q}", lines.get(line_no)))
            if is_setup and q in calls.SETUP_NAMES and "cmdclass" in text:
                scan.add(Hit("install.cmdclass", line_no, "setup(cmdclass=...)", lines.get(line_no)))
        for m in _STR_RE.finditer(line):
            _scan_string(scan, m.group("s"), line_no, lines, False)


def scan_python(path: str, data: bytes, *, is_setup: bool = False) -> FileScan:
    """Scan one Python file given as bytes (see :func:`scan_source`)."""
    return scan_source(path, decode_source(data), is_setup=is_setup, size=len(data))


def scan_source(path: str, text: str, *, is_setup: bool = False, size: int | None = None) -> FileScan:
    """Scan one decoded Python file; never raises for content problems (a parse failure is recorded)."""
    scan = FileScan(path)
    lines = _Lines(text)
    _scan_text_patterns(scan, text, lines)
    tree: ast.AST | None = None
    if (len(text) if size is None else size) > MAX_AST_BYTES:
        scan.parsed, scan.error = False, "file too large for the syntax tree"
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # invalid escapes etc. in scanned code are not our warnings
                tree = ast.parse(text.replace("\x00", "") if "\x00" in text else text, filename=path)
            if "\x00" in text:
                scan.parsed, scan.error = False, "NUL bytes in source"
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError) as exc:
            scan.parsed, scan.error = False, f"{type(exc).__name__}: {str(exc)[:80]}"
            tree = None
    if tree is not None:
        try:
            _Walker(scan, text, is_setup).run(tree)
        except (RecursionError, MemoryError) as exc:  # pragma: no cover - the walk is iterative
            scan.parsed, scan.error = False, f"{type(exc).__name__} while walking"
            tree = None
    if tree is None:
        scan.token("src:parse_error")
        _scan_regex(scan, text, lines, is_setup)
    _scan_string_patterns(scan, lines)
    return scan
