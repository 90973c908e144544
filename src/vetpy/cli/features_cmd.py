"""``vetpy features``: list the detectors (id, value kind, description)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from vetpy.features.catalogue import CatalogueFormat, render


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "features",
        help="list the features vetpy extracts (id, kind, description)",
        description="List every feature detector in registry order: its id, value kind and description.",
    )
    parser.add_argument(
        "--format",
        choices=[f.value for f in CatalogueFormat],
        default=CatalogueFormat.TEXT.value,
        help="text (default), json (with family, why and the schema hash) or markdown (docs/FEATURES.md)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(render(CatalogueFormat(args.format)))
    return 0
