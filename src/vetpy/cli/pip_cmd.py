"""``vetpy pip install ARGS...``: the pre-install gate (see :mod:`vetpy.gate`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from vetpy.cli.argtypes import probability
from vetpy.cli.limits import add_limit_arguments, limits_from_args
from vetpy.gate import parse_pip_args, run_gate
from vetpy.scan import Scanner, default_scorer, load_scorer


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "pip",
        help="pre-install gate: 'vetpy pip install ARGS' scans all pip would install, then installs it",
        description="Resolve what 'pip install ARGS' would install (dependencies included, no package code "
        "run), download and scan every file, and install exactly those files with pip only if nothing is "
        "flagged. Exit 1: something flagged, nothing installed; 3: something could not be scanned or "
        "resolved, nothing installed; 2: usage error; else pip's own exit code.",
    )
    parser.add_argument("--threshold", type=probability, metavar="T", help="flag when score >= T (0-1)")
    parser.add_argument("--model", metavar="PATH", help="a saved model file, or 'rules'")
    add_limit_arguments(parser)
    parser.add_argument("pip_command", choices=["install"], metavar="install")
    parser.add_argument("pip_args", nargs=argparse.REMAINDER, metavar="ARGS", help="pip install arguments")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    request = parse_pip_args(args.pip_args)
    scorer = load_scorer(args.model) if args.model else default_scorer()
    scanner = Scanner(scorer=scorer, limits=limits_from_args(args), threshold=args.threshold)
    return run_gate(request, scanner, out=sys.stdout, err=sys.stderr)
