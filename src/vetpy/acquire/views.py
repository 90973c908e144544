"""Code views: the package's code as Python or pip would run it, where that differs from the raw bytes.

- source in an encoding Python honours but a reader would not expect (utf-7, unicode_escape...), decoded
  as Python decodes it;
- huge padded source, with the padding squeezed out (line numbers kept) so it can be parsed; code still
  too large to parse leaves the scan incomplete;
- notebook code cells, as a function (a notebook runs when a user runs it, not on import);
- sourceless bytecode (.pyc), as the names and strings a safe parser reads out of it (never unmarshalled);
- data files that code executes (``exec(open(...).read())``, ``compile``, ``runpy``, file loaders);
- in-tree PEP 517 build backends (``backend-path``), which run at build time like setup.py.

Views are :class:`~vetpy.acquire.interface.CodeView` members the feature stage reads in place of (or
beside) the raw members; hard signals found on the way become findings.
"""

from __future__ import annotations

import ast
import codecs
import io
import json
import posixpath
import re
import tokenize
import warnings
from collections.abc import Iterator
from dataclasses import replace
from functools import lru_cache

import ahocorasick_rs

from vetpy.acquire.interface import Archive, ArchiveFormat, CodeView, Finding, Limits, Member
from vetpy.acquire.parsebound import PARSE_BYTES, parses
from vetpy.acquire.pyc import read_pyc
from vetpy.acquire.reader import CODE_SUFFIXES, human_bytes, one_line
from vetpy.acquire.render import render_bytecode, render_notebook, unpad
from vetpy.wordsearch import automaton, find_words

#: Files the feature stage reads only the start of (vetpy.features.gather): past that, incomplete.
READ_PREFIX = {".pth": 1_000_000, "entry_points.txt": 200_000}
#: Codecs Python accepts in a coding cookie that hide what the source says from a plain reader.
EXOTIC_CODECS = frozenset({"utf-7", "unicode-escape", "raw-unicode-escape", "punycode", "idna"})
#: Calls that run a file's content as code (or load a module from a path).
EXEC_SINK_RE = re.compile(
    r"(?:(?<![\w.])(?:exec|eval|compile|execfile)|\b(?:run_path|run_module|spec_from_file_location|"
    r"SourceFileLoader|SourcelessFileLoader|load_source|load_compiled|marshal\.loads))\s*\("
)
#: Every match of EXEC_SINK_RE starts with one of these words.
_SINK_WORDS = (
    *("exec", "eval", "compile", "run_path", "run_module", "spec_from_file_location", "SourceFileLoader"),
    *("SourcelessFileLoader", "load_source", "load_compiled", "marshal.loads"),
)
#: Lines before a call that runs a file in which the file's name is looked for.
SINK_WINDOW = 6
_LITERAL_RE = re.compile(r"""['"]([^'"\\\n]{1,300})['"]""")
_PYC_MAGIC_TAIL = b"\r\n"


def python_text(data: bytes) -> tuple[str, str]:
    """Source decoded as Python decodes it (BOM, PEP 263 cookie, else UTF-8), and the codec's name."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        name = codecs.lookup(encoding).name
        return data.decode(encoding), name
    except (SyntaxError, LookupError, UnicodeDecodeError, ValueError):
        return data.decode("utf-8", "replace"), "utf-8"


def _without_cookie(text: str) -> str:
    """The text with its coding cookie line(s) blanked, so it is read as the UTF-8 it now is."""
    lines = text.split("\n", 2)
    for i in range(min(2, len(lines))):
        if re.match(r"^[ \t\f]*#.*?coding[:=]", lines[i]):
            lines[i] = "# (source encoding decoded by vetpy)"
    return "\n".join(lines)


class _Builder:
    def __init__(self, archive: Archive, oversized: tuple[str, ...], limits: Limits) -> None:
        self.archive = archive
        self.oversized = oversized
        self.limits = limits
        self.views: dict[str, CodeView] = {}
        self.findings: list[Finding] = list(archive.findings)
        self.notes: list[str] = list(archive.notes)
        self.incomplete: str | None = archive.limit_hit
        self.texts: dict[str, str] = {}
        self.paths = {m.path for m in archive.members}

    def view(self, path: str, text: str, source: str, role: str) -> None:
        self.views[path] = CodeView(path, text.encode("utf-8", "surrogatepass"), source=source, role=role)

    def limit(self, message: str) -> None:
        if self.incomplete is None:
            self.incomplete = one_line(message)

    def python(self, m: Member) -> None:
        text, codec = python_text(m.data)
        role = ""
        if codec in EXOTIC_CODECS:
            text, role = _without_cookie(text), "decoded"
            message = f"{m.path} is written in the {codec} source encoding (hides its code from readers)"
            self.findings.append(Finding("source_encoding", message, m.path, 1))
        size = len(text.encode("utf-8", "surrogatepass")) if role else len(m.data)
        if size > PARSE_BYTES:  # code the feature stage does not parse is only pattern-scanned: incomplete
            text, role = unpad(text), role or "unpadded"
            code = text.encode("utf-8", "surrogatepass")
            if not parses(code):
                size_text = human_bytes(len(code))
                self.limit(f"parse: {m.path} holds more code than the syntax tree takes ({size_text})")
                role = "" if role == "unpadded" else role
        if role:
            self.view(m.path, text, m.path, role)
        self.texts[m.path] = text

    def notebook(self, m: Member) -> None:
        try:
            doc = json.loads(m.data)
        except (ValueError, RecursionError):
            return
        text = render_notebook(doc)
        if text:
            self.view(m.path + ".py", text, m.path, "notebook")

    def bytecode(self, m: Member, data: bytes | None = None) -> None:
        code = read_pyc(m.data if data is None else data)
        self.view(m.path + ".py", render_bytecode(m.path, code), m.path, "bytecode")
        if not code.complete:
            self.notes.append(f"bytecode {m.path} only partly understood ({code.version})")


def _source_of(pyc: str) -> tuple[str, bool]:
    """(the .py a .pyc is compiled from, whether Python imports the .pyc when that .py is missing)."""
    folder, name = posixpath.split(pyc)
    if posixpath.basename(folder) == "__pycache__":
        return posixpath.join(posixpath.dirname(folder), name.split(".", 1)[0] + ".py"), False
    return pyc[:-1], True


def _is_pure_wheel(archive: Archive) -> bool:
    """A wheel for any Python (purelib, every tag ``py*-none-any``): bytecode, which only one Python
    version can import, has no place in it. (A ``cp312``-tagged wheel may ship bytecode on purpose.)"""
    for m in archive.members:
        if m.path.endswith(".dist-info/WHEEL") and m.path.count("/") == 1:
            text = m.data[:4096].decode("utf-8", "replace").lower()
            tags = re.findall(r"^tag:\s*(\S+)", text, re.M)
            generic = bool(tags) and all(re.fullmatch(r"py\d(?:\.py\d)*-none-any", t) for t in tags)
            return "root-is-purelib: true" in text and generic
    return False


def _sourceless(builder: _Builder) -> None:
    archive = builder.archive
    installed_as_is = (ArchiveFormat.WHEEL, ArchiveFormat.EGG, ArchiveFormat.FOLDER)
    where = "sdist" if archive.format not in installed_as_is else None
    if archive.format == ArchiveFormat.WHEEL and _is_pure_wheel(archive):
        where = "pure-Python wheel"
    packages = {posixpath.dirname(p) for p in builder.paths if posixpath.basename(p).startswith("__init__.")}
    roots = {posixpath.dirname(p) for p in builder.paths if posixpath.basename(p) in ("setup.py", "PKG-INFO")}
    installable = packages | roots
    pycs = [m for m in archive.members if m.path.lower().endswith((".pyc", ".pyo"))]
    if where == "sdist" and any(_source_of(m.path)[0] in builder.paths for m in pycs):
        where = None  # a developer tree byte-compiled by accident: stale .pyc files are leftovers
    for m in pycs:
        source, importable = _source_of(m.path)
        if where == "sdist":  # only what would be installed: inside a package, or a top-level module
            importable = importable and posixpath.dirname(m.path) in installable
        if source in builder.paths:
            continue
        builder.bytecode(m)
        if importable and where:
            message = f"sourceless bytecode {m.path} in a {where} (imported in place of the missing .py)"
            builder.findings.append(Finding("sourceless_bytecode", message, m.path))
        else:
            builder.notes.append(f"bytecode without source: {m.path}")


def _executed_data(builder: _Builder) -> None:
    """Data files named by code that runs file contents: analysed as the code they become."""
    by_name: dict[str, list[Member]] = {}
    for m in builder.archive.members:
        if not m.path.lower().endswith(CODE_SUFFIXES):
            by_name.setdefault(posixpath.basename(m.path), []).append(m)
    oversized = {posixpath.basename(p): p for p in builder.oversized}
    for path, text in builder.texts.items():
        for literal in _literals_near_sinks(text):
            base = posixpath.basename(literal.replace("\\", "/"))
            if base in oversized:
                builder.limit(f"member: {oversized[base]} (run by {path}) is more than the member limit")
            for m in by_name.get(base, []):
                _executed_view(builder, m, path)


def _literals_near_sinks(text: str) -> list[str]:
    """String literals on the lines around each call that runs a file's content (``SINK_WINDOW`` lines
    before it, where the path is usually built, to a few after)."""
    found: dict[str, None] = {}
    for match in exec_sinks(text):
        start = match.start()
        for _ in range(SINK_WINDOW):
            start = max(0, text.rfind("\n", 0, start))
        end = match.end()
        for _ in range(3):
            nxt = text.find("\n", end + 1)
            end = len(text) if nxt < 0 else nxt
        found.update(dict.fromkeys(_LITERAL_RE.findall(text, start, end)))
        if len(found) > 10_000:
            break
    return list(found)


@lru_cache(maxsize=1)
def _sink_automaton() -> ahocorasick_rs.AhoCorasick:
    return automaton(_SINK_WORDS)


def exec_sinks(text: str) -> Iterator[re.Match[str]]:
    """Exactly ``EXEC_SINK_RE.finditer(text)``, tried only where one of its words starts (the pattern
    starts with a look-behind, so the regex engine would try every position of the text): each such place
    in order, past the end of the last match."""
    end = 0
    for start in sorted({s for _, s, _ in find_words(_sink_automaton(), text)}):
        if start >= end and (m := EXEC_SINK_RE.match(text, start)) is not None:
            yield m
            end = m.end()


def _executed_view(builder: _Builder, m: Member, runner: str) -> None:
    if m.path + ".py" in builder.views:
        return
    if m.data[2:4] == _PYC_MAGIC_TAIL and len(m.data) > 16:
        builder.bytecode(m)
        builder.views[m.path + ".py"] = replace(builder.views[m.path + ".py"], role="executed_data")
        return
    text, _ = python_text(m.data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    if any(isinstance(node, ast.Call | ast.Import | ast.ImportFrom) for node in ast.walk(tree)):
        builder.view(m.path + ".py", text, m.path, "executed_data")
        builder.notes.append(f"{m.path} is read and run as code by {runner}")


def add_code_views(archive: Archive, oversized: tuple[str, ...], limits: Limits) -> Archive:
    """The archive with its code views, findings and any incompleteness they reveal."""
    from vetpy.acquire.backend import backend_views

    builder = _Builder(archive, oversized, limits)
    for m in archive.members:
        lower = m.path.lower()
        if lower.endswith((".py", ".pyw")):
            builder.python(m)
        elif lower.endswith(".ipynb"):
            builder.notebook(m)
        for suffix, limit in READ_PREFIX.items():
            if lower.endswith(suffix) and len(m.data) > limit:
                builder.limit(f"parse: {m.path} is more than the {human_bytes(limit)} read of such files")
    _sourceless(builder)
    _executed_data(builder)
    backend_views(builder.archive, builder.views, builder.texts)
    if (
        not builder.views
        and builder.findings == list(archive.findings)
        and builder.incomplete == archive.limit_hit
    ):
        return archive
    return replace(
        archive,
        views=tuple(builder.views.values()),
        findings=tuple(builder.findings),
        notes=tuple(builder.notes),
        limit_hit=builder.incomplete,
    )
