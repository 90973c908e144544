"""The known-malicious lookup's options (``--osv/--no-osv``, ``--osv-url``), shared by scan and watch."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from vetpy.osv import apply_known_malicious, lookup_from_options
from vetpy.result import ScanResult
from vetpy.settings import OSV_URL_ENV


def add_osv_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--osv",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="look each release up in OSV's known-malicious advisories (default: on; unreachable = a note)",
    )
    parser.add_argument(
        "--osv-url",
        metavar="URL",
        help=f"OSV API base URL (default: ${OSV_URL_ENV}, else OSV's public service)",
    )


def check_known_malicious(results: Sequence[ScanResult], args: argparse.Namespace) -> list[ScanResult]:
    """The results with known-malicious hits marked (unchanged with ``--no-osv``)."""
    lookup = lookup_from_options(args.osv, args.osv_url)
    if lookup is None:
        return list(results)
    try:
        return apply_known_malicious(results, lookup)
    finally:
        lookup.cache.close()
