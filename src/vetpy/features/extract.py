"""Wire the feature stage: one pass over an opened archive -> PackageFeatures (never raises on content)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from vetpy.acquire.interface import Archive, Member
from vetpy.features import pkginfo
from vetpy.features import strings as st
from vetpy.features.calls import ACTIVE_FEATURES, BEHAVIOUR_KINDS, INIT_FEATURES
from vetpy.features.code import EP_RE, FileScan, Hit, decode_source, scan_source
from vetpy.features.interface import Evidence, PackageFeatures
from vetpy.features.paper import (
    INSTALL_HOOK_RE,
    email_problem,
    homepage_problem,
    install_hook_line,
    suspicious_lines,
)
from vetpy.features.registry import FEATURE_IDS
from vetpy.features.roles import SourceFile, install_time_setup, suite_only_files
from vetpy.features.typosquat import typosquat
from vetpy.features.urls import UrlHit, find_urls

MAX_EVIDENCE_PER_FEATURE = 5
MAX_PY_FILES = 3000
MAX_TEXT_FILE_BYTES = 2_000_000
MAX_TEXT_CHARS = 400_000
MAX_CODE_TOKENS = 20_000

PY_SUFFIXES = (".py", ".pyw", ".pyi")
SCRIPT_SUFFIXES = (".sh", ".bash", ".bat", ".cmd", ".ps1", ".vbs", ".js")
TEXT_SUFFIXES = (
    *SCRIPT_SUFFIXES,
    ".txt",
    ".json",
    ".cfg",
    ".ini",
    ".toml",
    ".yaml",
    ".yml",
    ".conf",
    ".in",
    "",
)
DOC_PREFIXES = (
    "readme",
    "change",
    "history",
    "license",
    "licence",
    "copying",
    "authors",
    "contribut",
    "news",
    "notice",
    "code_of_conduct",
    "security",
)
META_NAMES = (
    "PKG-INFO",
    "METADATA",
    "SOURCES.txt",
    "RECORD",
    "WHEEL",
    "top_level.txt",
    "dependency_links.txt",
)
NATIVE_MAGIC = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
ARCHIVE_MAGIC = (b"PK\x03\x04", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"7z\xbc\xaf\x27\x1c", b"Rar!")
WHEEL_NATIVE_OK = (".so", ".pyd", ".dylib", ".dll", ".lib", ".a")
ODD_VERSION_RE = re.compile(r"^v?(?:0+(?:\.0+)*|(\d+)(?:\..*)?)$")

BINARY_IDS = frozenset(
    {
        "code.decode_exec",
        "code.reverse_shell",
        "code.download_exec",
        "code.credential_read",
        "code.startup_write",
    }
)
COUNT_IDS = frozenset(
    {
        "code.exec_eval",
        "code.compile",
        "code.dunder_import",
        "code.dynamic_getattr",
        "code.base64",
        "code.marshal_zlib",
        "code.subprocess",
        "code.os_system",
        "code.socket",
        "code.http",
        "code.env_access",
        "code.system_info",
        "code.ctypes_win",
        "code.high_entropy_strings",
        "code.long_strings",
        "code.hex_chr_chains",
        "code.obfuscator",
        "code.long_lines",
    }
)


@dataclass
class _State:
    """Accumulates values, evidence and text while the archive is walked."""

    values: dict[str, float] = field(default_factory=lambda: dict.fromkeys(FEATURE_IDS, 0.0))
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)
    profile: list[str] = field(default_factory=list)
    susp: list[str] = field(default_factory=list)
    susp_chars: int = 0

    def fire(
        self,
        feature: str,
        message: str,
        file: str | None = None,
        line: int | None = None,
        snippet: str = "",
        value: float = 1.0,
    ) -> None:
        self.values[feature] = max(self.values.get(feature, 0.0), value)
        self.note(feature, message, file, line, snippet)

    def note(
        self, feature: str, message: str, file: str | None = None, line: int | None = None, snippet: str = ""
    ) -> None:
        items = self.evidence.setdefault(feature, [])
        if len(items) < MAX_EVIDENCE_PER_FEATURE:
            items.append(Evidence(feature, message[:200], file, line, st.snippet(snippet)))

    def add_text(self, lines: Iterable[str]) -> None:
        for line in lines:
            if self.susp_chars > MAX_TEXT_CHARS:
                return
            self.susp.append(line)
            self.susp_chars += len(line) + 1

    def token(self, tok: str) -> None:
        if len(self.tokens) < MAX_CODE_TOKENS:
            self.tokens.append(tok)


def _depth(path: str) -> int:
    return path.count("/")


def _is_setup_py(path: str) -> bool:
    return PurePosixPath(path).name == "setup.py" and _depth(path) <= 1


def _is_doc(name: str) -> bool:
    return name.lower().startswith(DOC_PREFIXES) or name in META_NAMES


def _log(n: float) -> float:
    return math.log1p(n)


def _archive_features(archive: Archive, state: _State, py: list[Member]) -> None:
    members = archive.members
    if archive.limit_hit:
        state.fire("archive.limit_hit", f"reading stopped at the {archive.limit_hit} limit")
        state.token("archive:limit_hit")
    if archive.notes:
        for note in archive.notes[:MAX_EVIDENCE_PER_FEATURE]:
            state.fire("archive.path_tricks", note)
        state.token("archive:path_tricks")
    is_wheel = archive.filename.lower().endswith(".whl") or "wheel" in archive.format.lower()
    for m in members:
        head = m.data[:8]
        lower = m.path.lower()
        if head.startswith(NATIVE_MAGIC) and not (head.startswith(b"MZ") and len(m.data) < 128):
            if is_wheel and lower.endswith(WHEEL_NATIVE_OK):
                continue
            state.fire("archive.binary_files", f"native executable or library: {m.path}", m.path)
            state.token("archive:binary")
        elif head.startswith(ARCHIVE_MAGIC):
            state.fire("archive.nested_archives", f"archive inside the archive: {m.path}", m.path)
            state.token("archive:nested")
    state.values["archive.log_files"] = _log(len(members))
    state.values["archive.log_py_files"] = _log(len(py))
    state.values["archive.log_py_bytes"] = _log(sum(len(m.data) for m in py))
    if not py:
        state.fire("archive.no_python", "no Python file in the archive")
        state.token("archive:no_python")


def _metadata_features(archive: Archive, state: _State) -> tuple[str | None, str | None]:
    meta = pkginfo.read_metadata(archive)
    fname, fversion = pkginfo.name_version_from_filename(archive.filename)
    name = meta.name or fname
    version = meta.version or fversion
    mfile = meta.file
    if mfile is None:
        state.fire("meta.missing_pkg_info", "no PKG-INFO or METADATA file")
        state.token("meta:missing_pkg_info")
    state.values["meta.log_description"] = _log(meta.description_length)
    problem = homepage_problem(meta)
    if problem:
        state.fire("paper.homepage_invalid", problem, mfile, meta.lines.get("home-page"))
        state.token("meta:no_homepage" if problem.startswith("no ") else "meta:bad_homepage")
    problem = email_problem(meta)
    if problem:
        state.fire("paper.author_email_invalid", problem, mfile, meta.lines.get("author-email"))
        state.token("meta:no_author_email" if problem.startswith("no ") else "meta:unknown_email_domain")
    lic = pkginfo.check_license(meta, archive)
    if lic.mismatch:
        msg = f"licences disagree: classifier={lic.classifier}, field={lic.field}, file={lic.file}"
        state.fire("paper.license_mismatch", msg, lic.file_path or mfile, None)
        state.token("file:license_mismatch")
    if not lic.declared:
        state.fire("meta.no_license", "no licence field, classifier or file", mfile)
        state.token("meta:no_license")
    if not (meta.author or meta.author_email or meta.maintainer or meta.maintainer_email):
        state.fire("meta.no_author", "no author or maintainer declared", mfile)
        state.token("meta:no_author")
    if version:
        m = ODD_VERSION_RE.match(version.strip())
        if m and (m.group(1) is None or int(m.group(1)[:6]) >= 99):
            state.fire("meta.odd_version", f"odd version {version[:40]}", mfile, meta.lines.get("version"))
            state.token("meta:odd_version")
    squat = typosquat(name)
    state.values["meta.typosquat_similarity"] = squat.similarity
    if squat.is_typosquat:
        state.fire(
            "meta.typosquat",
            f"name {name!r} is {squat.edits} edit(s) from popular {squat.nearest!r}",
            mfile,
            meta.lines.get("name"),
        )
        state.token("meta:typosquat")
    cfg = pkginfo.root_setup_cfg(archive)
    if cfg is not None and pkginfo.is_minimal_setup_cfg(cfg.data):
        state.fire("paper.minimal_setup_cfg", "setup.cfg is the packaging tool's default", cfg.path, 1)
        state.token("file:minimal_setup_cfg")
    return name, version


def _url_features(state: _State, hits: list[tuple[str, int, UrlHit]]) -> None:
    kinds: dict[str, set[str]] = {
        f: set() for f in ("code.raw_ip", "code.webhook", "code.paste_site", "code.unusual_host")
    }
    for path, line, hit in hits:
        for tok in hit.tokens():
            state.token(tok)
        for feature in hit.features():
            kinds[feature].add(hit.host)
            state.note(
                feature,
                f"{feature.split('.')[1].replace('_', ' ')}: {hit.text[:100]}",
                path,
                line,
                hit.text,
            )
        if hit.suspicious and path.endswith(PY_SUFFIXES):  # the paper's feature is about code
            why = "raw IP" if hit.raw_ip else "insecure scheme" if hit.insecure else "unknown domain"
            state.fire(
                "paper.suspicious_url", f"suspicious URL ({why}): {hit.text[:100]}", path, line, hit.text
            )
    for feature, hosts in kinds.items():
        state.values[feature] = _log(len(hosts))


def _code_features(state: _State, scans: list[FileScan], setup: str | None, entry_modules: list[str]) -> None:
    totals: Counter[str] = Counter()
    for scan in scans:
        totals.update(scan.counts)
        for feature, hits in scan.examples.items():
            for hit in hits:
                state.note(feature, hit.message, scan.path, hit.line, hit.snippet)
        state.tokens.extend(scan.tokens)
        state.values["code.max_entropy"] = max(state.values["code.max_entropy"], round(scan.max_entropy, 4))
    for feature, count in totals.items():
        if feature in COUNT_IDS:
            state.values[feature] = _log(count)
        elif feature in state.values and feature not in ("code.max_entropy",):
            state.values[feature] = 1.0 if count else 0.0
    failed = [s for s in scans if not s.parsed]
    if failed:
        state.values["code.parse_error"] = 1.0
        state.values["code.parse_error_ratio"] = len(failed) / len(scans)
        for s in failed[:MAX_EVIDENCE_PER_FEATURE]:
            state.note("code.parse_error", f"does not parse as Python 3 ({s.error})", s.path)
    by_path = {s.path: s for s in scans}
    for scan in scans:
        name = PurePosixPath(scan.path).name
        if scan.path == setup:
            active = [f for f in sorted(ACTIVE_FEATURES) if scan.strong[f]]
            if active:
                first = min(
                    (h for f in active for h in scan.examples.get(f, [])), key=lambda h: h.line, default=None
                )
                state.fire(
                    "install.setup_suspicious",
                    f"setup.py: {', '.join(sorted(active))}",
                    scan.path,
                    first.line if first else None,
                    first.snippet if first else "",
                )
                state.token("setup:suspicious")
        elif name == "__init__.py":
            active = [f for f in sorted(INIT_FEATURES) if scan.module_level[f]]
            if active:
                ex = next((h for f in active for h in scan.examples.get(f, [])), None)
                state.fire(
                    "install.init_suspicious",
                    f"__init__.py runs on import: {', '.join(sorted(active))}",
                    scan.path,
                    ex.line if ex else None,
                    ex.snippet if ex else "",
                )
                state.token("init:suspicious")
        if scan.path != setup and scan.import_time:
            first = min(scan.import_time.values(), key=lambda h: h.line)
            state.fire(
                "install.import_time_payload",
                f"runs on import: {', '.join(sorted(scan.import_time))} ({first.message})",
                scan.path,
                first.line,
                first.snippet,
            )
            state.token("import:payload")
    _entry_points(state, entry_modules, by_path)
    _concentration(state, scans, setup)


URL_BEHAVIOURS = frozenset({"code.raw_ip", "code.webhook", "code.paste_site"})


def _behaviours(scan: FileScan) -> set[str]:
    kinds = {f for f in BEHAVIOUR_KINDS if scan.strong[f]}
    for _, hit in scan.urls:
        kinds.update(URL_BEHAVIOURS.intersection(hit.features()))
    return kinds


def _concentration(state: _State, scans: list[FileScan], setup: str | None) -> None:
    """How many behaviour kinds the busiest file holds, overall and among files that run at install or
    import time: a payload concentrates them in one file, where a large benign package spreads them."""
    per_file = [(scan, sorted(_behaviours(scan))) for scan in scans]
    running = [
        (scan, kinds)
        for scan, kinds in per_file
        if scan.path == setup or scan.import_time or scan.path.endswith(".pth")
    ]
    state.profile.extend(behaviour_profile([kinds for _, kinds in per_file], [kinds for _, kinds in running]))
    for feature, files in (
        ("code.max_file_behaviours", per_file),
        ("install.running_file_behaviours", running),
    ):
        scan, kinds = max(files, key=lambda pair: len(pair[1]), default=(None, []))
        if scan is not None and kinds:
            names = ", ".join(k.split(".", 1)[1] for k in kinds)
            state.fire(
                feature, f"{len(kinds)} behaviours in one file: {names}", scan.path, value=float(len(kinds))
            )


def behaviour_profile(per_file: list[list[str]], running: list[list[str]]) -> list[str]:
    """Tokens for which behaviours share a file (``pair:http+subprocess``) and which behaviours run at
    install or import time (``run:http``), whichever file that is: a setup.py payload and a module-level
    payload give the same tokens, so what is learnt from one carries over to the other."""
    pairs: set[str] = set()
    for kinds in {tuple(kinds) for kinds in per_file}:  # many files share one set of kinds
        short = sorted({k.split(".", 1)[1] for k in kinds})
        pairs.update(f"pair:{a}+{b}" for i, a in enumerate(short) for b in short[i + 1 :])
    run = {f"run:{k.split('.', 1)[1]}" for kinds in running for k in kinds}
    return sorted(pairs) + sorted(run)


def _entry_points(state: _State, modules: list[str], by_path: dict[str, FileScan]) -> None:
    for module in dict.fromkeys(modules):
        rel = module.replace(".", "/")
        for path, scan in by_path.items():
            if path.endswith((f"/{rel}.py", f"/{rel}/__init__.py")) or path in (
                f"{rel}.py",
                f"{rel}/__init__.py",
            ):
                active = [f for f in sorted(INIT_FEATURES) if scan.strong[f]]
                if active:
                    state.fire(
                        "install.entry_point_payload",
                        f"entry point module {module} has {', '.join(sorted(active))}",
                        path,
                    )
                    state.token("entry:suspicious")
                break


def _entry_point_file(m: Member) -> list[str]:
    out = []
    for line in decode_source(m.data[:200_000]).splitlines():
        match = EP_RE.match(line)
        if match and not line.lstrip().startswith(("[", "#")):
            out.append(match.group(1))
    return out


def _pth(state: _State, m: Member, scans: list[FileScan]) -> None:
    text = decode_source(m.data[:1_000_000])
    kept = []
    for no, line in enumerate(text.splitlines(), start=1):
        if line.startswith(("import ", "import\t")):
            state.fire(
                "install.pth_exec", "a .pth line that runs code at interpreter start", m.path, no, line
            )
            state.token("file:pth_exec")
            kept.append(line)
        else:
            kept.append("")
    if any(kept):
        scans.append(scan_source(m.path, "\n".join(kept)))


def _text_file(state: _State, m: Member, url_hits: list[tuple[str, int, UrlHit]]) -> None:
    text = m.data[:MAX_TEXT_FILE_BYTES].decode("utf-8", "replace")
    for off, hit in find_urls(text):
        url_hits.append((m.path, text.count("\n", 0, off) + 1, hit))
        if len(url_hits) > 5000:
            break
    if m.path.lower().endswith(SCRIPT_SUFFIXES):
        for feature, pattern in (
            ("code.download_exec", st.DOWNLOAD_RUN_RE),
            ("code.reverse_shell", st.SHELL_RE),
        ):
            match = pattern.search(text)
            if match:
                line = text.count("\n", 0, match.start()) + 1
                state.fire(
                    feature,
                    f"script {m.path}: {match.group(0)[:60]!r}",
                    m.path,
                    line,
                    text.splitlines()[line - 1] if text else "",
                )


def extract_features(archive: Archive) -> PackageFeatures:
    """Compute every registry feature, the paper's suspicious-lines text, code tokens and evidence."""
    state = _State()
    py: list[Member] = []
    setup: str | None = None
    scans: list[FileScan] = []
    url_hits: list[tuple[str, int, UrlHit]] = []
    entry_modules: list[str] = []
    for m in archive.members:
        p = PurePosixPath(m.path)
        lower = p.name.lower()
        if lower.endswith(PY_SUFFIXES):
            py.append(m)
        elif lower.endswith(".pth"):
            _pth(state, m, scans)
        elif p.name == "entry_points.txt":
            entry_modules.extend(_entry_point_file(m))
        elif (
            ((lower.endswith(TEXT_SUFFIXES) and "." in lower) or p.suffix == "")
            and not _is_doc(p.name)
            and len(m.data) <= MAX_TEXT_FILE_BYTES
            and b"\x00" not in m.data[:1024]
        ):
            _text_file(state, m, url_hits)
    setups = sorted((m.path for m in py if _is_setup_py(m.path)), key=_depth)
    setup = setups[0] if setups else None
    if setup:
        state.token("file:setup_py")
    texts = {m.path: decode_source(m.data) for m in py}
    tests_only = suite_only_files([SourceFile(p, t) for p, t in texts.items()])  # never run (roles.py)
    for m in sorted(py, key=lambda m: m.path != setup)[:MAX_PY_FILES]:
        if m.path in tests_only:
            continue
        is_setup = m.path == setup
        text = install_time_setup(texts[m.path]) if is_setup else texts[m.path]
        scan = scan_source(m.path, text, is_setup=is_setup, size=len(m.data))
        scans.append(scan)
        url_hits.extend((m.path, line, hit) for line, hit in scan.urls)
        entry_modules.extend(scan.entry_modules)
        state.add_text(suspicious_lines(text[:MAX_TEXT_CHARS], whole_file=is_setup or scan.suspicious_url))
    _archive_features(archive, state, py)
    name, version = _metadata_features(archive, state)
    _url_features(state, url_hits)
    _code_features(state, scans, setup, entry_modules)
    suspicious_text = "\n".join(state.susp)
    hook = install_hook_line(suspicious_text)
    where = next(((s.path, h) for s in scans for h in s.examples.get("install.cmdclass", [])), None)
    if hook == "cmdclass" and where is None:  # a cmdclass only for commands pip never runs ("test")
        others = (m.group(0) for m in INSTALL_HOOK_RE.finditer(suspicious_text) if m.group(0) != hook)
        hook = next(others, None)
    if hook:
        state.fire(
            "paper.install_hook",
            f"install command override: {hook}",
            where[0] if where else setup,
            where[1].line if where else None,
            where[1].snippet if where else hook,
        )
    for feature in list(state.evidence):
        if state.values.get(feature, 0.0) <= 0.0:
            del state.evidence[feature]
    order = {f: i for i, f in enumerate(FEATURE_IDS)}
    evidence = tuple(
        e for f in sorted(state.evidence, key=lambda f: order.get(f, 1 << 20)) for e in state.evidence[f]
    )
    values = {f: float(state.values.get(f, 0.0)) for f in FEATURE_IDS}
    return PackageFeatures(
        name=name,
        version=version,
        values=values,
        suspicious_text=suspicious_text,
        code_text=" ".join((state.profile + state.tokens)[:MAX_CODE_TOKENS]),
        evidence=evidence,
    )


__all__ = ["Hit", "extract_features"]
