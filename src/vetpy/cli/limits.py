"""The per-archive reading limits as command-line options, shared by ``scan`` and ``batch``."""

from __future__ import annotations

import argparse

from vetpy.acquire.interface import Limits
from vetpy.cli.argtypes import positive_float, positive_int

_DEFAULT_LIMITS = Limits()


def add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``--max-*`` options (defaults: :class:`~vetpy.acquire.interface.Limits`)."""
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
    limits.add_argument(
        "--max-code-files",
        type=positive_int,
        default=d.max_code_files,
        metavar="N",
        help=f"most code files (.py, .pth, .pyc), all analysed (default {d.max_code_files})",
    )


def limits_from_args(args: argparse.Namespace) -> Limits:
    return Limits(
        max_archive_bytes=args.max_bytes,
        max_members=args.max_members,
        max_member_bytes=args.max_member_bytes,
        max_total_bytes=args.max_total_bytes,
        max_ratio=args.max_ratio,
        max_seconds=args.max_seconds,
        max_code_files=args.max_code_files,
    )
