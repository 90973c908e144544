"""The static folder: what built strings evaluate to, and what it refuses (never runs anything)."""

from __future__ import annotations

import ast
import base64

import pytest

from vetpy.features.source.fold import MAX_LEN, Folder


def resolve(node: ast.AST) -> str | None:
    """A resolver that knows bare names and ``module.name`` chains (imports are not tracked here)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = resolve(node.value)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return "str"
    return None


URL = "http://evil.example/x"
CODES = ", ".join(str(ord(c)) for c in URL)
XORED = ", ".join(str(ord(c) ^ 1) for c in URL)
SHIFTED = CODES.replace("104", "(13 << 3) + 0", 1)


def fold(expr: str, constants: dict[str, str | bytes] | None = None) -> tuple[str | None, bool]:
    folder = Folder(constants or {}, resolve)
    return folder.fold(ast.parse(expr, mode="eval").body), folder.obfuscated


@pytest.mark.parametrize(
    "expr",
    [
        '"ht" + "tp://" + "evil.example/x"',
        '"x/elpmaxe.live//:ptth"[::-1]',
        f'"".join(map(chr, [{CODES}]))',
        f'"".join([chr(c ^ 1) for c in [{XORED}]])',
        f'"".join(map(getattr(__builtins__, "c" + "hr"), [{SHIFTED}]))',
        'bytes.fromhex("687474703a2f2f6576696c2e6578616d706c652f78").decode()',
        f'bytes([{CODES}]).decode("utf-8")',
        'base64.b64decode("aHR0cDovL2V2aWwuZXhhbXBsZS94").decode()',
        'codecs.decode("uggc://rivy.rknzcyr/k", "rot13")',
        '"hxxp://evil.example/x".replace("xx", "tt")',
        'f"{A}://{B}/x"',
        '"".join(reversed("x/elpmaxe.live//:ptth"))',
    ],
)
def test_built_url_is_folded(expr: str) -> None:
    text, _ = fold(expr, {"A": "http", "B": "evil.example"})
    assert text == URL


def test_character_codes_and_reversal_count_as_obfuscation_but_concatenation_does_not() -> None:
    assert fold('"".join(map(chr, [97, 98, 99]))') == ("abc", True)
    assert fold('"abc"[::-1]') == ("cba", True)
    assert fold('"a" + "bc"') == ("abc", False)


@pytest.mark.parametrize(
    "expr",
    [
        'name + "/x"',  # a name that is not a module-level constant
        'os.getcwd() + "/x"',  # a call the folder does not know
        '"".join(map(str.upper, ["a", "b"]))',  # a mapped function that is not chr
        '"a" * 10**9',  # too large
        '"".join(map(chr, [1 << 100]))',  # not a character code
        '"x" * (1 << 62)',
        'bytes.fromhex("zz").decode()',  # invalid input is a failed fold, not an exception
        '"".join(chr(c) for c in data)',
        "1 << 100000",
        '("a" * 50000).replace("a", "b" * 50000)',  # refused before it is built
        '("," * 90000).join(["x", "y", "z"])',
        '"".join(map(chr, [1 // 0]))',
        '"abc"[5]',
    ],
)
def test_refuses_what_it_cannot_know_or_what_is_too_big(expr: str) -> None:
    assert fold(expr)[0] is None


def test_results_and_work_are_bounded() -> None:
    deep = "+".join(['"a"'] * 200)  # a chain deeper than the folder's nesting bound
    assert fold(deep)[0] is None
    big = f'"{"a" * (MAX_LEN // 2 + 1)}" * 2'
    assert fold(big)[0] is None


def test_integer_only_expressions_are_not_text() -> None:
    assert fold("(7 << 4) - 1")[0] is None


def test_binary_data_is_not_text() -> None:
    """A font or image carried as base64 is not a hidden string (random bytes can spell 'iwr')."""
    blob = base64.b64encode(bytes(range(256)) * 4).decode()
    assert fold(f'base64.b64decode("{blob}")')[0] is None
    assert fold(f'base64.b64decode("{blob}").decode("utf-8")')[0] is None
    assert fold('"".join(map(chr, [1, 2, 3, 4, 5, 6, 7, 8, 9, 11]))')[0] is None
