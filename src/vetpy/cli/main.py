"""``vetpy`` entry point: builds the parser from one module per subcommand and maps errors to exit 2.

To add a subcommand, write ``cli/<name>_cmd.py`` with ``register(subparsers)`` (which sets
``func=run`` where ``run(args) -> int``) and list the module in ``COMMANDS``.
"""

from __future__ import annotations

import argparse
import os
import sys
from types import ModuleType

from vetpy import __version__, settings
from vetpy.cli import (
    batch_cmd,
    dataset_cmd,
    diff_cmd,
    evaluate_cmd,
    features_cmd,
    pip_cmd,
    scan_cmd,
    serve_cmd,
    train_cmd,
    watch_cmd,
)
from vetpy.errors import VetpyError
from vetpy.redact import redact
from vetpy.report.escape import escape_text
from vetpy.result import one_line

COMMANDS: tuple[ModuleType, ...] = (
    scan_cmd,
    pip_cmd,
    batch_cmd,
    diff_cmd,
    watch_cmd,
    serve_cmd,
    features_cmd,
    dataset_cmd,
    train_cmd,
    evaluate_cmd,
)

USAGE_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vetpy",
        description="Statically scan Python packages and say whether they are malicious (nothing is run).",
    )
    parser.add_argument("--version", action="version", version=f"vetpy {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (never raises for user errors)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else USAGE_ERROR)
    if not hasattr(args, "func"):
        parser.print_usage(sys.stderr)
        print("vetpy: error: a command is required (try 'vetpy scan --help')", file=sys.stderr)
        return USAGE_ERROR
    previous = settings.configure(settings.Settings.from_environ(os.environ))  # read here only
    try:
        code: int = args.func(args)
    except VetpyError as exc:
        print(escape_text(redact(f"vetpy: error: {one_line(exc)}")), file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("vetpy: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return USAGE_ERROR
    except Exception as exc:  # no traceback ever reaches a user: one line, exit 2
        message = f"vetpy: internal error: {type(exc).__name__}: {one_line(exc)}"
        print(escape_text(redact(message)), file=sys.stderr)
        return USAGE_ERROR
    finally:
        settings.configure(previous)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
