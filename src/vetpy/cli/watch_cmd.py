"""``vetpy watch --out FILE``: follow the configured index's new releases and scan each new file."""

from __future__ import annotations

import argparse
import signal
import sys
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

from vetpy.acquire.index import IndexClient
from vetpy.cli.argtypes import positive_float, probability
from vetpy.cli.limits import add_limit_arguments, limits_from_args
from vetpy.cli.osv_args import add_osv_arguments
from vetpy.diff import against_previous
from vetpy.errors import AcquireError, VetpyError
from vetpy.osv import lookup_from_options
from vetpy.redact import redact, register_secret
from vetpy.result import one_line
from vetpy.scan import Scanner, default_scorer, exit_code, load_scorer
from vetpy.watch.changelog import ChangelogFeed
from vetpy.watch.checkpoint import CheckpointStore, checkpoint_path, index_id
from vetpy.watch.feed import SimpleFeed
from vetpy.watch.output import LineWriter
from vetpy.watch.watcher import Feed, Watcher

POLL_FAILED = 3


def _since(text: str) -> str:
    if text == "now" or (text.isdigit() and int(text) >= 0):
        return text
    raise argparse.ArgumentTypeError(f"expected 'now' or a serial number, got {text!r}")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "watch",
        help="follow the index's new releases and scan each new file",
        description="Follow the configured index (pip's configuration) and scan every new file as it "
        "appears, appending one JSON line per file to --out. A checkpoint beside --out lets a restart "
        "carry on with no gap and no repeat. Runs until stopped (SIGINT/SIGTERM), or one poll with --once.",
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="JSON lines output (appended to)"
    )
    parser.add_argument(
        "--since",
        type=_since,
        metavar="SERIAL|now",
        help="where to start when there is no checkpoint yet (default: now)",
    )
    parser.add_argument(
        "--interval", type=positive_float, default=60.0, metavar="SECONDS", help="seconds between polls"
    )
    parser.add_argument(
        "--webhook", metavar="URL", help='POST flagged releases here as Slack-compatible JSON {"text": ...}'
    )
    parser.add_argument(
        "--feed",
        choices=("auto", "simple", "changelog"),
        default="auto",
        help="how new files are found: the PEP 691 project list (simple), the index host's changelog "
        "interface (changelog), or the changelog when the index has one (auto, the default)",
    )
    parser.add_argument("--once", action="store_true", help="poll once and exit (for cron)")
    parser.add_argument(
        "--against-previous",
        action="store_true",
        help="compare each new release with the one before it and add what it newly adds as reasons",
    )
    parser.add_argument("--threshold", type=probability, metavar="T", help="flag when score >= T (0-1)")
    parser.add_argument("--model", metavar="PATH", help="a saved model file, or 'rules'")
    add_osv_arguments(parser)
    add_limit_arguments(parser)
    parser.set_defaults(func=run)


def choose_feed(kind: str, client: IndexClient, log: Any) -> Feed:
    """The feed to follow; ``auto`` asks the index host's changelog interface once and falls back."""
    if kind == "simple":
        return SimpleFeed(client)
    changelog = ChangelogFeed(client)
    if kind == "changelog":
        return changelog
    try:
        changelog.position()
    except VetpyError as exc:
        log(f"watch: no changelog interface on the index's host ({one_line(exc)}): using the project list")
        return SimpleFeed(client)
    return changelog


def _log(message: str) -> None:
    print(redact(message), file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    if args.webhook:
        register_secret(args.webhook)  # a webhook URL authorises posting: never shown
    client = IndexClient()
    scorer = load_scorer(args.model) if args.model else default_scorer()
    limits = limits_from_args(args)
    scanner = Scanner(scorer=scorer, limits=limits, client=client, threshold=args.threshold)
    store = CheckpointStore(checkpoint_path(args.out))
    store.lock()
    writer = LineWriter(args.out)
    lookup = lookup_from_options(args.osv, args.osv_url)
    try:
        feed = choose_feed(args.feed, client, _log)
        watcher = Watcher(
            feed,
            scanner,
            writer,
            store,
            index_id(client.index_url),
            lookup=lookup,
            webhook_url=args.webhook,
            against_previous=partial(against_previous, client=client, limits=limits)
            if args.against_previous
            else None,
            log=_log,
        )

        def stop(signum: int, frame: FrameType | None) -> None:
            _log("watch: stopping after the current file")
            watcher.stop.set()

        previous = signal.signal(signal.SIGTERM, stop)
        try:
            results = watcher.run(args.since, args.interval, once=args.once)
        except AcquireError as exc:  # the index could not be read (at start, or in the one --once poll)
            _log(f"vetpy watch: {one_line(exc)}")
            return POLL_FAILED
        except VetpyError:
            raise
        except Exception as exc:
            _log(f"vetpy watch: internal error: {type(exc).__name__}: {one_line(exc)}")
            return POLL_FAILED
        finally:
            signal.signal(signal.SIGTERM, previous)
    finally:
        writer.close()
        store.unlock()
        if lookup is not None:
            lookup.cache.close()
    return exit_code(results) if args.once else 0
