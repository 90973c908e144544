"""Install-time detectors: code that runs on ``pip install`` (setup.py, cmdclass), at interpreter start
(``.pth``), or on import (``__init__.py``, module level, entry points)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vetpy.features.calls import ACTIVE_FEATURES, INIT_FEATURES
from vetpy.features.interface import Family, ValueKind, spec
from vetpy.features.paths import member_path

if TYPE_CHECKING:
    from vetpy.features.collect import Collector
    from vetpy.features.gather import PackageFacts
    from vetpy.features.source.facts import FileFacts

_I, _FLAG = Family.INSTALL, ValueKind.FLAG
SPECS = (
    spec(
        "install.cmdclass",
        _I,
        _FLAG,
        "setup() gets a cmdclass overriding install/develop/egg_info",
        "an overridden command runs arbitrary code during installation",
        signal="setup() overrides install commands",
    ),
    spec(
        "install.setup_code",
        _I,
        _FLAG,
        "statements in setup.py beyond imports, constants, defs and setup()",
        "setup.py runs on install: anything besides declaring the package runs then",
        signal="setup.py runs code at top level",
    ),
    spec(
        "install.setup_suspicious",
        _I,
        _FLAG,
        "suspicious calls (exec, process, network) inside setup.py",
        "the most common place for a PyPI payload: it runs before anyone imports anything",
    ),
    spec(
        "install.pth_exec",
        _I,
        _FLAG,
        "a .pth file with an executable import line",
        "a .pth import line runs at every interpreter start once installed",
    ),
    spec(
        "install.init_suspicious",
        _I,
        _FLAG,
        "suspicious calls at module level of an __init__.py",
        "module-level code of a package's __init__ runs on its first import",
    ),
    spec(
        "install.entry_point_payload",
        _I,
        _FLAG,
        "an entry point leads into a module with suspicious calls",
        "console scripts and plugins run the module they name",
    ),
    spec(
        "install.import_time_payload",
        _I,
        _FLAG,
        "a module runs network/process/exec code when imported (at top level or via its own functions)",
        "payloads moved out of setup.py run on import instead",
    ),
)


def detect_pth(facts: PackageFacts, out: Collector) -> None:
    """``.pth`` lines that run code at interpreter start."""
    for pth in facts.pth_lines:
        out.fire(
            "install.pth_exec",
            "a .pth line that runs code at interpreter start",
            pth.path,
            pth.line,
            pth.text,
        )
        out.token("file:pth_exec")


def detect_setup_marker(facts: PackageFacts, out: Collector) -> None:
    if facts.setup:
        out.token("file:setup_py")


def _setup_suspicious(f: FileFacts, out: Collector) -> None:
    active = [feature for feature in sorted(ACTIVE_FEATURES) if f.has_strong(feature)]
    if active:
        first = min((h for a in active for h in f.examples.get(a, ())), key=lambda h: h.line, default=None)
        out.fire(
            "install.setup_suspicious",
            f"setup.py: {', '.join(sorted(active))}",
            f.path,
            first.line if first else None,
            first.snippet if first else "",
        )
        out.token("setup:suspicious")


def _init_suspicious(f: FileFacts, out: Collector) -> None:
    active = [feature for feature in sorted(INIT_FEATURES) if f.has_module_level(feature)]
    if active:
        ex = next((h for a in active for h in f.examples.get(a, ())), None)
        out.fire(
            "install.init_suspicious",
            f"__init__.py runs on import: {', '.join(sorted(active))}",
            f.path,
            ex.line if ex else None,
            ex.snippet if ex else "",
        )
        out.token("init:suspicious")


def detect_running_code(facts: PackageFacts, out: Collector) -> None:
    """setup.py with active calls, ``__init__.py`` with module-level ones, modules with import-time ones."""
    for f in facts.files:
        if f.path == facts.setup:
            _setup_suspicious(f, out)
        elif member_path(f.path).name == "__init__.py":
            _init_suspicious(f, out)
        if f.path != facts.setup and f.import_time:
            first = min(f.import_time.values(), key=lambda h: h.line)
            out.fire(
                "install.import_time_payload",
                f"runs on import: {', '.join(sorted(f.import_time))} ({first.message})",
                f.path,
                first.line,
                first.snippet,
            )
            out.token("import:payload")


def detect_entry_points(facts: PackageFacts, out: Collector) -> None:
    """Entry-point modules (entry_points.txt or setup(entry_points=...)) with active calls."""
    by_path = {f.path: f for f in facts.files}
    for module in dict.fromkeys(facts.entry_modules):
        rel = module.replace(".", "/")
        for path, f in by_path.items():
            if path.endswith((f"/{rel}.py", f"/{rel}/__init__.py")) or path in (
                f"{rel}.py",
                f"{rel}/__init__.py",
            ):
                active = [feature for feature in sorted(INIT_FEATURES) if f.has_strong(feature)]
                if active:
                    out.fire(
                        "install.entry_point_payload",
                        f"entry point module {module} has {', '.join(sorted(active))}",
                        path,
                    )
                    out.token("entry:suspicious")
                break
