"""``vetpy serve``: the HTTP service (FastAPI on uvicorn; needs the ``service`` extra)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from vetpy.cli.argtypes import positive_float, positive_int
from vetpy.errors import VetpyError

DEFAULT_DB = "vetpy-serve.sqlite3"


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="run the scanning service (HTTP API and triage page)",
        description="Accept uploads and name==version requests over HTTP, scan them on worker processes,"
        " keep jobs and results in a database, and serve the triage page at /.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--db", default=DEFAULT_DB, help=f"SQLite file or postgresql:// URL (default {DEFAULT_DB})"
    )
    parser.add_argument("--workers", type=positive_int, default=2, help="scan processes (default 2)")
    parser.add_argument(
        "--token-file",
        help="bearer tokens, one per line (default: <db>.token, created with one random token, mode 0600)",
    )
    parser.add_argument("--uploads", help="where uploaded archives are kept (default: <db>-uploads)")
    parser.add_argument(
        "--max-upload-bytes", type=positive_int, default=None, help="largest upload (default 256 MiB)"
    )
    parser.add_argument("--timeout", type=positive_float, default=60.0, help="seconds per scan (default 60)")
    parser.add_argument(
        "--max-memory-mb", type=positive_int, default=2048, help="memory cap per worker (default 2048)"
    )
    parser.add_argument("--model", help="a saved model path, or 'rules' (default: the bundled model)")
    parser.set_defaults(func=run)


def _local_base(db: str) -> Path:
    return Path("vetpy-serve") if db.startswith(("postgresql://", "postgres://")) else Path(db)


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from vetpy.service.app import create_app
    except ImportError as exc:
        message = f"vetpy serve needs the service extra: pip install 'vetpy[service]' ({exc})"
        raise VetpyError(message) from None
    from vetpy.acquire.interface import Limits
    from vetpy.service.auth import new_token_file, read_tokens
    from vetpy.service.settings import ServiceSettings

    if not 0 < args.port < 65536:
        raise VetpyError(f"--port {args.port}: not a port number")
    base = _local_base(args.db)
    if args.token_file:
        tokens = read_tokens(Path(args.token_file))
    else:
        token_path = base.with_name(base.name + ".token")
        existed = token_path.exists()
        tokens = new_token_file(token_path)
        if not existed:
            print(f"vetpy serve: created {token_path} (mode 0600) with a new token", file=sys.stderr)
    settings = ServiceSettings(
        db=args.db,
        uploads=Path(args.uploads) if args.uploads else base.with_name(base.name + "-uploads"),
        tokens=tokens,
        workers=args.workers,
        timeout=args.timeout,
        max_memory_mb=args.max_memory_mb,
        max_upload_bytes=args.max_upload_bytes or Limits().max_archive_bytes,
        model=args.model,
    )
    app = create_app(settings)
    uvicorn.run(
        app, host=args.host, port=args.port, log_level="info", server_header=False, timeout_keep_alive=30
    )
    return 0
