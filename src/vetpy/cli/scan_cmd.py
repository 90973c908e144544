"""``vetpy scan TARGET... [-r FILE]``: scan archives, folders or index releases and report verdicts."""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vetpy.acquire.interface import Limits
from vetpy.acquire.release import ARTIFACTS
from vetpy.acquire.targets import installed_targets
from vetpy.cli.argtypes import positive_int, probability
from vetpy.cli.limits import add_limit_arguments, limits_from_args
from vetpy.cli.osv_args import add_osv_arguments, check_known_malicious
from vetpy.cli.scan_config import mark_ignored, scan_options
from vetpy.cli.scan_progress import scan_progress
from vetpy.errors import VetpyError
from vetpy.parallel import scan_resolved
from vetpy.redact import redact
from vetpy.report import Format, render
from vetpy.report.escape import escape_text
from vetpy.report.output import write_atomic
from vetpy.result import Outcome, ScanResult
from vetpy.scan import Scanner, default_scorer, exit_code, load_scorer

if TYPE_CHECKING:
    from vetpy.acquire.index import IndexClient
    from vetpy.model.interface import Scorer


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "scan",
        help="scan packages (archives, folders, name[==version], requirements files)",
        description="Scan packages without running them. Exit 0: nothing flagged; 1: something flagged; "
        "2: usage error; 3: nothing flagged, but a target could not be scanned completely.",
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
    parser.add_argument(
        "--trust-requirements-indexes",
        action="store_true",
        help="follow --index-url / --extra-index-url lines inside requirements files (off by default)",
    )
    parser.add_argument(
        "--installed",
        nargs="?",
        const="",
        metavar="SITE_PACKAGES",
        help="scan each distribution installed in SITE_PACKAGES (default: this interpreter's), from RECORD",
    )
    parser.add_argument(
        "--config", type=Path, metavar="PYPROJECT", help="read [tool.vetpy] from this file (default: nearest)"
    )
    parser.add_argument("--no-config", action="store_true", help="do not read [tool.vetpy]")
    parser.add_argument(
        "--format", choices=[f.value for f in Format], help="report format (default: text, or [tool.vetpy])"
    )
    parser.add_argument("--output", type=Path, metavar="FILE", help="write the report to FILE, not stdout")
    parser.add_argument("--threshold", type=probability, metavar="T", help="flag when score >= T (0-1)")
    parser.add_argument(
        "--model", metavar="PATH", help="a saved model file, or 'rules' for the built-in transparent rule set"
    )
    parser.add_argument(
        "--artifact",
        choices=ARTIFACTS,
        help="which index files to scan: auto (the file pip would install here, and the sdist), "
        "sdist, wheel, all (every file of the release)",
    )
    parser.add_argument(
        "--deep",
        action="store_true",
        help="also scan every dependency pip would install, resolved from metadata without running any "
        "package code (what cannot be resolved is reported as an error)",
    )
    parser.add_argument(
        "--jobs", type=positive_int, metavar="N", help="targets scanned at once (default: all cores)"
    )
    parser.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        help="neither read nor write the result and download cache (scan and download everything again)",
    )
    parser.add_argument(
        "--against-previous",
        action="store_true",
        help="also compare each release with its previous release on the index and add what it newly "
        "adds (behaviours, endpoints, install hooks) as reasons",
    )
    add_osv_arguments(parser)
    add_limit_arguments(parser)
    parser.set_defaults(func=run)


def caching_client(root: Path) -> IndexClient | None:
    """The index client with the download cache under ``root``; None when no index is configured (local
    targets still scan). Made on first use: a scan of local files never reads pip's configuration."""
    from vetpy.cache.downloads import CachingIndexClient

    with contextlib.suppress(VetpyError):
        return CachingIndexClient(root)
    return None


def caches(scorer: Scorer, limits: Limits, threshold: float | None) -> dict[str, Any]:
    """The Scanner arguments that turn on the result cache and the download cache."""
    from vetpy import cache
    from vetpy.cache.results import ResultCache, model_identity

    root = cache.scan_cache_root()
    used = scorer.threshold if threshold is None else threshold
    return {
        "cache": ResultCache(root, model_id=model_identity(scorer), threshold=used, limits=limits),
        "client": functools.partial(caching_client, root),
    }


def run(args: argparse.Namespace) -> int:
    options = scan_options(args)
    if not options.targets and not args.requirements and args.installed is None:
        raise VetpyError("nothing to scan: give at least one TARGET, -r FILE or --installed")
    limits = limits_from_args(args)
    scorer = load_scorer(options.model) if options.model else default_scorer()
    scanner = Scanner(
        scorer=scorer,
        limits=limits,
        threshold=options.threshold,
        artifact=options.artifact,
        deep=args.deep,
        trust_requirements_indexes=options.trust_requirements_indexes,
        **(caches(scorer, limits, options.threshold) if args.cache else {}),
    )
    items = (
        scanner.resolve(options.targets, args.requirements) if options.targets or args.requirements else []
    )
    if args.installed is not None:
        items += installed_targets(Path(args.installed) if args.installed else None)
    with scan_progress(len(items)) as on_result:
        results = scan_resolved(scanner, items, jobs=args.jobs, on_result=on_result)
    if args.against_previous:
        from vetpy.acquire.index import IndexClient
        from vetpy.diff import against_previous

        client = scanner.client or IndexClient()
        results = [
            against_previous(r, client=client, limits=limits, artifact=options.artifact) for r in results
        ]
    results = mark_ignored(check_known_malicious(results, args), options)
    color = options.format == Format.TEXT and args.output is None and sys.stdout.isatty()
    report = render(results, options.format, model=scorer.name, color=color)
    if args.output:
        write_atomic(args.output, report)
    else:
        write_stdout(report)
    report_failures(results)
    return exit_code(results)


def write_stdout(text: str) -> None:
    """Print a report whatever the terminal's encoding (undecodable names are escaped, never a crash)."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    sys.stdout.write(text.encode(encoding, "backslashreplace").decode(encoding, "replace"))
    sys.stdout.flush()


def report_failures(results: list[ScanResult]) -> None:
    """One line on stderr per target that could not be scanned completely."""
    for result in results:
        if result.outcome is Outcome.FAILED:
            line = f"vetpy: could not scan {result.target}: {result.error}"
            print(escape_text(redact(line)), file=sys.stderr)
