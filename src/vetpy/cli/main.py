"""``vetpy`` entry point: builds the parser from one module per subcommand and maps errors to exit 2.

To add a subcommand, write ``cli/<name>_cmd.py`` with ``register(subparsers)`` (which sets
``func=run`` where ``run(args) -> int``) and list the command in ``COMMANDS``. Only the module of the
command being run is imported (``vetpy scan x.tar.gz`` never imports the service, the lab or the index
client); ``vetpy --help`` and unknown commands import them all.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import MutableMapping, Sequence

from vetpy import __version__, settings
from vetpy.errors import VetpyError
from vetpy.redact import redact
from vetpy.report.escape import escape_text
from vetpy.result import one_line

#: The subcommands, in ``--help`` order; ``name`` is implemented by ``vetpy.cli.<name>_cmd``.
COMMANDS: tuple[str, ...] = (
    "scan",
    "pip",
    "batch",
    "diff",
    "watch",
    "serve",
    "features",
    "dataset",
    "train",
    "evaluate",
)

USAGE_ERROR = 2


#: Commands that fit or evaluate models: their linear algebra keeps every BLAS thread.
TRAINING_COMMANDS = ("train", "evaluate")
_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")


def single_threaded_blas(command: str | None, environ: MutableMapping[str, str]) -> None:
    """One OpenBLAS thread for every command but training, unless the user chose a thread count.

    Scoring multiplies a row of about a thousand numbers by a few vectors, far below OpenBLAS's threading
    thresholds, so its worker threads only cost: starting them and their spinning take about 50 ms of CPU
    of a 0.3 s scan on two cores. Results are the same bit for bit. Only before NumPy is loaded (OpenBLAS
    reads the variable then; a process that has it already, such as a test run, is left as it is).
    """
    if "numpy" in sys.modules or command in TRAINING_COMMANDS:
        return
    if not any(v in environ for v in _THREAD_VARIABLES):
        environ["OPENBLAS_NUM_THREADS"] = "1"


def chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` starts with, if it is a known one (top-level options such as ``-h`` come
    before the command and need every command's parser)."""
    return argv[0] if argv and argv[0] in COMMANDS else None


def build_parser(commands: Sequence[str] = COMMANDS) -> argparse.ArgumentParser:
    """The CLI's parser with ``commands`` (default: all); only their modules are imported."""
    parser = argparse.ArgumentParser(
        prog="vetpy",
        description="Statically scan Python packages and say whether they are malicious (nothing is run).",
    )
    parser.add_argument("--version", action="version", version=f"vetpy {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for command in commands:
        importlib.import_module(f"vetpy.cli.{command}_cmd").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (never raises for user errors)."""
    arguments = sys.argv[1:] if argv is None else argv
    command = chosen_command(arguments)
    single_threaded_blas(command, os.environ)
    parser = build_parser((command,) if command else () if arguments == ["--version"] else COMMANDS)
    try:
        args = parser.parse_args(arguments)
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
