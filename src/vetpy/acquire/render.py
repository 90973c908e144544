"""Render code that is not plain Python source as Python text the feature stage can analyse."""

from __future__ import annotations

import ast
import itertools
import keyword
import re
import sys
import warnings

from vetpy.acquire.pyc import Bytecode

#: Builtins that matter to analysis when bytecode names them.
_CALLED_BUILTINS = frozenset({"exec", "eval", "compile", "__import__", "getattr", "open", "execfile"})
_MODULES = frozenset(sys.stdlib_module_names) | {"requests", "urllib3", "httpx", "aiohttp", "pycurl"}
_SPACES_RE = re.compile(r"[ \t\f\v]{2,}")
MAX_RENDERED_STRINGS = 5000


def _identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def render_bytecode(path: str, code: Bytecode) -> str:
    """Python text naming what a .pyc uses: imports of the modules it names, a call for each
    module.attribute pair and notable builtin, and its string constants (nothing here ever ran)."""
    names = [n for n in code.names if _identifier(n)]
    lines = [f"# names and strings read from bytecode {path!r} (Python {code.version}); never executed"]
    modules = sorted({n for n in names if n in _MODULES})
    lines += [f"import {m}" for m in modules]
    seen: set[str] = set()
    for first, second in itertools.pairwise(names):
        call = f"{first}.{second}()"
        if first in _MODULES and call not in seen:
            seen.add(call)
            lines.append(call)
    lines += [f"{n}()" for n in sorted(set(names) & _CALLED_BUILTINS)]
    lines += [f"_ = {s!r}" for s in list(dict.fromkeys(code.strings))[:MAX_RENDERED_STRINGS]]
    return "\n".join(lines) + "\n"


def _parses(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def render_notebook(doc: object) -> str:
    """A notebook's code cells, each as the body of its own coroutine function (cells run when a user
    runs them, not on import; ``await`` at cell level stays valid). Cells that do not parse, and IPython
    magics, are left out."""
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list):
        return ""
    out: list[str] = []
    for number, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(s for s in source if isinstance(s, str)) if isinstance(source, list) else source
        if not isinstance(text, str) or not text.strip():
            continue
        lines = ["" if ln.lstrip().startswith(("%", "!")) else ln for ln in text.split("\n")]
        body = "\n".join("    " + ln for ln in lines)
        block = f"async def _notebook_cell_{number}():\n{body}\n    pass\n"
        if _parses(block):
            out.append(block)
    return "\n".join(out)


def unpad(text: str) -> str:
    """Source with its padding squeezed out and its line numbers kept: blank and comment-only lines
    emptied, trailing whitespace dropped, runs of spaces inside a line shortened to one."""
    out: list[str] = []
    for line in text.split("\n"):
        body = line.lstrip(" \t\f")
        if not body.strip() or body.startswith("#"):
            out.append("")
            continue
        indent = line[: len(line) - len(body)]
        out.append(indent + _SPACES_RE.sub(" ", body.rstrip()))
    return "\n".join(out)
