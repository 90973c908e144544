"""``vetpy diff NEW [OLD]``: what a release adds or changes against the one before it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from vetpy.acquire.index import IndexClient
from vetpy.cli.limits import add_limit_arguments, limits_from_args
from vetpy.diff.compare import diff_archives
from vetpy.diff.previous import open_previous, open_spec
from vetpy.diff.render import render_json, render_text
from vetpy.errors import VetpyError
from vetpy.redact import redact
from vetpy.report.output import write_atomic
from vetpy.result import one_line

NOTHING_NOTABLE, NOTABLE, NOT_COMPARED = 0, 1, 3


class _LazyIndex:
    """The index client, created only when a side is on the index (local archives need none)."""

    def __init__(self) -> None:
        self._client: IndexClient | None = None

    def get(self) -> IndexClient:
        if self._client is None:
            self._client = IndexClient()
        return self._client


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "diff",
        help="what a release adds or changes against an older one (files, behaviours, endpoints, hooks)",
        description="Compare two releases without running them. NEW and OLD are local archives or folders, "
        "or name==version on the configured index; OLD defaults to the release before NEW on the index. "
        "Exit 0: nothing that matters changed; 1: new behaviours, endpoints or install-hook changes; "
        "2: usage error; 3: could not compare.",
    )
    parser.add_argument("new", metavar="NEW", help="archive, folder, name or name==version")
    parser.add_argument("old", metavar="OLD", nargs="?", help="archive, folder or name==version")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--output", type=Path, metavar="FILE", help="write the report to FILE, not stdout")
    parser.add_argument(
        "--artifact", choices=("sdist", "wheel"), default="sdist", help="which index file to compare"
    )
    add_limit_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    limits = limits_from_args(args)
    index = _LazyIndex()
    try:
        new, files = open_spec(args.new, index.get, limits, args.artifact)
        if args.old:
            old, _ = open_spec(args.old, index.get, limits, args.artifact, like=new.filename)
        else:
            old = open_previous(new, files, index.get(), limits, args.artifact)
        diff = diff_archives(new, old)
    except VetpyError as exc:
        print(f"vetpy diff: {redact(one_line(exc))}", file=sys.stderr)
        return NOT_COMPARED
    report = render_json(diff) if args.format == "json" else render_text(diff)
    if args.output:
        write_atomic(args.output, report)
    else:
        sys.stdout.write(report)
    return NOTABLE if diff.notable else NOTHING_NOTABLE
