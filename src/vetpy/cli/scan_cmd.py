"""``vetpy scan TARGET... [-r FILE]``: scan archives, folders or index releases and report verdicts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from vetpy.acquire.index import ARTIFACTS
from vetpy.acquire.interface import Limits
from vetpy.cli.argtypes import positive_float, positive_int, probability
from vetpy.errors import VetpyError
from vetpy.report import Format, render
from vetpy.scan import Scanner, default_scorer, exit_code, load_scorer

_DEFAULT_LIMITS = Limits()


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "scan",
        help="scan packages (archives, folders, name[==version], requirements files)",
        description="Scan packages without running them. Exit 0: nothing flagged; 1: something flagged; "
        "2: usage error, or a package could not be scanned and none was flagged.",
    )
    parser.add_argument("targets", nargs="*", metavar="TARGET", help="archive, folder, name or name==version")
    parser.add_argument(
        "-r",
        "--requirement",
        dest="requirements",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="scan the pinned requirements in FILE (repeatable)",
    )
    parser.add_argument("--format", choices=[f.value for f in Format], default=Format.TEXT.value)
    parser.add_argument("--output", type=Path, metavar="FILE", help="write the report to FILE, not stdout")
    parser.add_argument("--threshold", type=probability, metavar="T", help="flag when score >= T (0-1)")
    parser.add_argument(
        "--model", metavar="PATH", help="a saved model file, or 'rules' for the built-in transparent rule set"
    )
    parser.add_argument("--artifact", choices=ARTIFACTS, default="sdist", help="which index files to scan")
    limits = parser.add_argument_group(
        "reading limits (per archive)",
        "A package whose reading stops at a limit is never reported benign: it is flagged if what was read "
        "scores over the threshold, else it is an 'incomplete scan' error (see SECURITY.md).",
    )
    d = _DEFAULT_LIMITS
    limits.add_argument(
        "--max-archive-bytes",
        "--max-bytes",
        dest="max_bytes",
        type=positive_int,
        default=d.max_archive_bytes,
        metavar="N",
        help=f"largest archive file, in bytes (default {d.max_archive_bytes})",
    )
    limits.add_argument(
        "--max-members",
        type=positive_int,
        default=d.max_members,
        metavar="N",
        help=f"most entries read (default {d.max_members})",
    )
    limits.add_argument(
        "--max-member-bytes",
        type=positive_int,
        default=d.max_member_bytes,
        metavar="N",
        help=f"larger files are skipped, with a note (default {d.max_member_bytes})",
    )
    limits.add_argument(
        "--max-total-bytes",
        type=positive_int,
        default=d.max_total_bytes,
        metavar="N",
        help=f"most bytes held in memory (default {d.max_total_bytes})",
    )
    limits.add_argument(
        "--max-ratio",
        type=positive_float,
        default=d.max_ratio,
        metavar="R",
        help=f"most decompressed bytes per archive byte, past the first MiB (default {d.max_ratio:g})",
    )
    limits.add_argument(
        "--max-seconds",
        type=positive_float,
        default=d.max_seconds,
        metavar="S",
        help=f"reading time per archive (default {d.max_seconds:g})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.targets and not args.requirements:
        raise VetpyError("nothing to scan: give at least one TARGET or -r FILE")
    limits = Limits(
        max_archive_bytes=args.max_bytes,
        max_members=args.max_members,
        max_member_bytes=args.max_member_bytes,
        max_total_bytes=args.max_total_bytes,
        max_ratio=args.max_ratio,
        max_seconds=args.max_seconds,
    )
    scorer = load_scorer(args.model) if args.model else default_scorer()
    scanner = Scanner(scorer=scorer, limits=limits, threshold=args.threshold, artifact=args.artifact)
    results = scanner.scan(args.targets, args.requirements)
    color = args.format == Format.TEXT and args.output is None and sys.stdout.isatty()
    report = render(results, args.format, model=scorer.name, color=color)
    if args.output:
        try:
            args.output.write_text(report, encoding="utf-8")
        except OSError as exc:
            raise VetpyError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
    else:
        sys.stdout.write(report)
    return exit_code(results)
