"""README.md's usage matches the CLI's ``--help`` (pip-audit's check-readme habit)."""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
from pathlib import Path

from vetpy.cli.main import build_parser

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices) if actions else {}


def _code_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", README, flags=re.S)


def test_every_command_is_in_the_readme_and_every_readme_command_exists() -> None:
    commands = set(_subparsers(build_parser()))
    used = {m for block in _code_blocks() for m in re.findall(r"^vetpy (\w[\w-]*)", block, flags=re.M)}
    assert commands - used == set(), "commands missing from README's usage blocks"
    assert used - commands == set(), "README uses commands the CLI does not have"


def test_scan_options_table_matches_scan_help() -> None:
    scan = _subparsers(build_parser())["scan"]
    start = README.index("Options of `vetpy scan`")
    table = README[start : README.index("\n\n", README.index("|", start))]
    listed = set(re.findall(r"`(--?[a-z][\w-]*)", table))
    options = [
        a.option_strings for a in scan._actions if a.option_strings and "--help" not in a.option_strings
    ]
    missing = [o[-1] for o in options if not listed.intersection(o)]
    unknown = sorted(listed - {s for o in options for s in o})
    assert missing == [], f"`vetpy scan` options missing from README's table: {missing}"
    assert unknown == [], f"README's table lists options `vetpy scan` does not have: {unknown}"


def _readme_command_lines() -> list[list[str]]:
    lines = (line for block in _code_blocks() for line in block.replace("\\\n", " ").splitlines())
    words = (shlex.split(line, comments=True) for line in lines)
    return [w[1:] for w in words if w[:1] == ["vetpy"]]


def test_every_readme_command_line_parses_with_the_cli() -> None:
    """Each ``vetpy ...`` line of the usage blocks is accepted by the parser as written (options, their
    values, sub-commands); parsing runs nothing."""
    lines = _readme_command_lines()
    assert len(lines) >= len(_subparsers(build_parser()))
    refused = []
    for argv in lines:
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                build_parser().parse_args(argv)
        except SystemExit as exc:  # --version exits 0 after printing; a usage error exits 2
            if exc.code != 0:
                refused.append(f"vetpy {shlex.join(argv)}: {err.getvalue().strip().splitlines()[-1]}")
    assert refused == [], "README lines the CLI refuses"
