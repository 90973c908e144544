"""Fast-pass marks for strings the module *builds* from constants (fold.py, folding.py): a file with none
of prepass.py's marks may still hide a URL, a path or a command in pieces, or make the folder emit
``decoded:folded``. Each check here is narrow, so only files where a fold can produce something get the
syntax tree:

- pieces joined with ``+`` (literals, and names bound to a literal at the start of a line), and the literal
  items of ``"sep".join([...])``, joined as the folder would, then searched for the prepass's own marks;
- a step slice (``[::-1]``) or ``reversed(...)`` of a literal, of a name bound to a literal, or of a
  parenthesised expression holding a literal;
- ``bytes(...)`` / ``bytearray(...)`` of a bytes literal, a name bound to a literal, ``map``/``reversed``/
  ``list``/``tuple`` or a generator (the list/tuple forms are prepass.py shapes already);
- the decoders the folder knows that no other mark names: ``fromhex``, ``binascii``, the rot13 and hex
  codecs (:data:`FOLD_WORDS`).

Kept apart from prepass.py's word list so that ``prepass._marked_text`` stays the fast pass of text marks
alone (benchmarks/prepass_fold_check.py compares the two).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from vetpy.wordsearch import lowered

#: The folder's decoders that no other mark names (base64 and zlib are marks already).
FOLD_WORDS = ("fromhex", "binascii", "rot13", "rot_13", '"hex"', "'hex'")

_PREFIX = r"[rRuUbBfF]{0,2}"
_LITERAL = re.compile(_PREFIX + r"(\"|')((?:\\.|(?!\1)[^\\\n])*)\1")
_PLUS = re.compile(r"\+\s*")
_OPEN_QUOTE = re.compile(_PREFIX + r"[\"']")
_JOIN = re.compile(r"\.join\s*\(")
_SEPARATOR = re.compile(r"(\"|')((?:\\.|(?!\1)[^\\\n]){0,40})\1\s*$")
_STEP_SLICE = re.compile(r"\[[^\[\]\n]*:[^\[\]\n]*:")
_REVERSED = re.compile(r"reversed\s*\(\s*")
_BYTES_CALL = re.compile(r"bytes\s*\(\s*|bytearray\s*\(\s*")
_BYTE_ARGS = re.compile(r"[rR]?[bB][rR]?[\"']|(?:map|reversed|list|tuple)\s*\(")
_IDENT_END = re.compile(r"([A-Za-z_]\w*)\s*$")
_IDENT_START = re.compile(r"([A-Za-z_]\w*)\s*(\)|\bfor\b)?")
_SPACE = re.compile(r"\s*")
# A name bound to a literal at the start of a line: on the first line, and after each line feed (a literal
# lead the regex engine skips to; a pattern starting with a multi-line ``^`` is tried at every position).
_BOUND_LINE = r"[ \t]*([A-Za-z_]\w*)[ \t]*=[ \t]*\(?\s*(" + _PREFIX + r"[\"'])"
_BOUND_FIRST = re.compile(_BOUND_LINE)
_BOUND = re.compile(r"\n" + _BOUND_LINE)
_DEPTH = {")": 1, "(": -1}
_LAST: list[tuple[str, dict[str, int]]] = []
_SPAN = 2_000  # characters looked at around one match


def _bindings(text: str) -> dict[str, int]:
    """Where the first literal bound to each name at the start of a line begins (one search per text: the
    last text's table is kept, as the checks ask about many names of one file)."""
    if _LAST and _LAST[0][0] is text:
        return _LAST[0][1]
    table: dict[str, int] = {}
    first = _BOUND_FIRST.match(text)
    if first is not None:
        table[first.group(1)] = first.start(2)
    # as a multi-line ``^`` search would go on: from the end of the match before (which ends at a quote, so
    # no line starts just there)
    for m in _BOUND.finditer(text, 0 if first is None else first.end()):
        table.setdefault(m.group(1), m.start(2))
    _LAST[:] = [(text, table)]
    return table


def constant_value(text: str, name: str) -> str | None:
    """The text of the literal ``name`` is bound to at the start of a line, adjacent literals joined as
    Python joins them (None: not bound to a literal)."""
    pos = _bindings(text).get(name)
    if pos is None:
        return None
    parts: list[str] = []
    while (lit := _LITERAL.match(text, pos)) is not None and len(parts) < 100:
        parts.append(lit.group(2))
        pos = _SPACE.match(text, lit.end()).end()  # type: ignore[union-attr]
    return "".join(parts)


def _left_operand(text: str, pos: int) -> tuple[int, str] | None:
    """The literal or bound name ending before the ``+`` at ``pos``: (where its text ends, the text to
    put there instead of it and the ``+``); None when it is neither."""
    i = pos
    while i and text[i - 1] in " \t\r\n":
        i -= 1
    if i and text[i - 1] in "\"'":
        return i - 1, ""
    m = _IDENT_END.search(text, max(0, i - 100), i)
    if m is None:
        return None
    value = constant_value(text, m.group(1))
    return None if value is None else (m.start(1), '"' + value)


def _right_operand(text: str, pos: int) -> tuple[int, str] | None:
    """The literal or bound name starting at ``pos`` after a ``+``: (where the replaced text ends, what
    replaces it); None when it is neither."""
    lit = _OPEN_QUOTE.match(text, pos)
    if lit is not None:
        return lit.end(), ""
    m = _IDENT_START.match(text, pos)
    if m is None or m.group(2) is not None or text[m.end(1) : m.end(1) + 1] in (".", "(", "["):
        return None
    value = constant_value(text, m.group(1))
    return None if value is None else (m.end(1), value + '"')


def joined_view(text: str) -> str | None:
    """``text`` with each ``+`` between two literals (or a literal and a name bound to one) taken out, so
    the pieces read as the folded string; None when there is no such junction."""
    parts: list[str] = []
    last = 0
    for m in _PLUS.finditer(text):
        right = _right_operand(text, m.end())
        left = None if right is None else _left_operand(text, m.start())
        if left is None or right is None or (left[1] and right[1]) or left[0] < last:
            continue
        parts += [text[last : left[0]], left[1], right[1]]
        last = right[0]
    if not parts:
        return None
    return "".join(parts) + text[last:]


def joined_items(text: str) -> list[str]:
    """The strings of ``"sep".join([literal, ...])`` calls: the literal items joined with the separator."""
    out = []
    for m in _JOIN.finditer(text):
        sep = _SEPARATOR.search(text, max(0, m.start() - 60), m.start())
        if sep is None:
            continue
        args = _call_span(text, m.end() - 1)
        items = [lit.group(2) for lit in _LITERAL.finditer(args)]
        if items:
            out.append(sep.group(2).join(items))
    return out


def _call_span(text: str, open_paren: int) -> str:
    """The text between the ``(`` at ``open_paren`` and its ``)`` (at most :data:`_SPAN` characters)."""
    depth = 0
    end = min(len(text), open_paren + _SPAN)
    for pos in range(open_paren, end):
        ch = text[pos]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return text[open_paren + 1 : pos]
    return text[open_paren + 1 : end]


def _text_before(text: str, pos: int) -> bool:
    """Whether the expression ending just before ``pos`` may fold to text: a literal, a name bound to a
    literal, or a parenthesised expression holding a quote."""
    head = text[max(0, pos - _SPAN) : pos].rstrip()
    if not head:
        return False
    if head[-1] in "\"'":
        return True
    if head[-1] == ")":
        depth = 0
        for i in range(len(head) - 1, -1, -1):
            depth += _DEPTH.get(head[i], 0)
            if depth == 0:
                return "'" in head[i:] or '"' in head[i:]
        return False
    m = _IDENT_END.search(head[-200:])
    return m is not None and constant_value(text, m.group(1)) is not None


def _text_after(text: str, pos: int, generator: bool = False) -> bool:
    """Whether the argument starting at ``pos`` may fold: a literal or a name bound to one (with
    ``generator``, also a name starting a generator expression)."""
    if text[pos : pos + 1] in ("'", '"') or _LITERAL.match(text, pos):
        return True
    m = _IDENT_START.match(text, pos)
    if m is None:
        return False
    if generator and m.group(2) == "for":
        return True
    return m.group(2) == ")" and constant_value(text, m.group(1)) is not None


def reversal(text: str) -> bool:
    """A step slice or ``reversed(...)`` of something that may fold to text."""
    if any(_text_before(text, m.start()) for m in _STEP_SLICE.finditer(text)):
        return True
    return any(_text_after(text, m.end()) for m in _REVERSED.finditer(text))


def byte_build(text: str) -> bool:
    """``bytes(...)`` or ``bytearray(...)`` of something the folder can read."""
    for m in _BYTES_CALL.finditer(text):
        start = m.start()
        if start and (text[start - 1].isalnum() or text[start - 1] in "_."):
            continue
        if _BYTE_ARGS.match(text, m.end()) or _text_after(text, m.end(), generator=True):
            return True
        if " for " in _call_span(text, text.rindex("(", start, m.end())):
            return True
    return False


def built_marks(text: str, marked: Callable[[str], bool]) -> bool:
    """Whether a string the module builds could hold a mark (``marked``: prepass.py's test of a text)."""
    low = lowered(text)  # the fast pass has just lowered this text: remembered
    if any(word in low for word in FOLD_WORDS) or reversal(text) or byte_build(text):
        return True
    if "+" in text:
        view = joined_view(text)
        if view is not None and marked(view):
            return True
    if ".join" in text:
        return any(marked(f'"{s}"') for s in joined_items(text))
    return False
