"""``vetpy dataset fetch|verify``: download the benign corpus into the cache, or re-hash what is there."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from vetpy.acquire.index import IndexClient
from vetpy.errors import VetpyError

if TYPE_CHECKING:
    from vetpy.lab.dataset.benign import BenignRelease


class RateColumn(ProgressColumn):
    """Items per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("-/s" if speed is None else f"{speed:.1f}/s", style="progress.data.speed")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "dataset", help="fetch or verify the benign corpus", description="Manage the benign corpus cache."
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    fetch = actions.add_parser("fetch", help="download benign.csv's releases into the cache (resumable)")
    fetch.add_argument("--data", type=Path, metavar="DIR", help="the shared data folder (else VETPY_DATA)")
    fetch.add_argument("--workers", type=int, default=8, metavar="N", help="parallel downloads (default 8)")
    fetch.add_argument("--limit", type=int, metavar="N", help="only the first N releases")
    fetch.add_argument(
        "--list", type=Path, metavar="CSV", help="fetch this release list instead of benign.csv"
    )
    fetch.set_defaults(func=run_fetch)
    verify = actions.add_parser("verify", help="re-hash the cached benign archives against benign.csv")
    verify.add_argument("--data", type=Path, metavar="DIR", help="the shared data folder (else VETPY_DATA)")
    verify.add_argument("--list", type=Path, metavar="CSV", help="verify this release list instead")
    verify.set_defaults(func=run_verify)
    recent = actions.add_parser(
        "sample-recent",
        help="list a random sample of recent uploads (new projects only) for a false-positive check",
    )
    recent.add_argument("--since", required=True, metavar="YYYY-MM-DD", help="uploaded on or after this day")
    recent.add_argument("--count", type=int, default=500, metavar="N", help="releases to list (default 500)")
    recent.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    recent.add_argument("--out", type=Path, required=True, metavar="CSV", help="where to write the list")
    recent.add_argument("--data", type=Path, metavar="DIR", help="skip projects named here (default: found)")
    recent.add_argument("--workers", type=int, default=16, metavar="N", help="parallel look-ups (default 16)")
    recent.set_defaults(func=run_sample_recent)
    clones = actions.add_parser(
        "clones",
        help="build the clone fingerprint index from the latest releases of the most popular projects",
    )
    clones.add_argument("--top", type=int, default=300, metavar="N", help="popular.csv's first N (300)")
    clones.add_argument(
        "--out", type=Path, metavar="PATH", help="where to write it (default: vetpy/data/clones.npz)"
    )
    clones.add_argument("--workers", type=int, default=6, metavar="N", help="parallel projects (default 6)")
    clones.add_argument("--data", type=Path, metavar="DIR", help="the shared data folder (else VETPY_DATA)")
    clones.set_defaults(func=run_clones)


def _releases(data: Path | None, listed: Path | None = None) -> list[BenignRelease]:
    from vetpy.lab.dataset.benign import read_benign_csv
    from vetpy.lab.dataset.paths import data_dir

    csv_path = listed or data_dir(data) / "benign.csv"
    if not csv_path.is_file():
        raise VetpyError(f"{csv_path}: not found")
    return read_benign_csv(csv_path)


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    )


def _print_failures(console: Console, failed: dict[str, str], limit: int = 20) -> None:
    for filename, error in sorted(failed.items())[:limit]:
        console.print(f"  {filename}: {error}", markup=False, highlight=False)
    if len(failed) > limit:
        console.print(f"  ... and {len(failed) - limit} more")


def run_fetch(args: argparse.Namespace) -> int:
    from vetpy.lab.dataset.benign import fetch_all
    from vetpy.lab.dataset.paths import cache_dir

    if args.workers < 1:
        raise VetpyError("--workers must be at least 1")
    releases = _releases(args.data, args.list)
    if args.limit is not None:
        releases = releases[: max(args.limit, 0)]
    client = IndexClient()
    console = Console(stderr=True)
    with _progress(console) as progress:
        task = progress.add_task("fetching", total=len(releases))

        def done(release: BenignRelease, error: str | None) -> None:
            progress.advance(task)

        summary = fetch_all(releases, client, workers=args.workers, on_done=done)
    failed = len(summary.failed)
    print(f"{summary.fetched_or_cached} of {len(releases)} releases in {cache_dir()}, {failed} failed")
    _print_failures(console, summary.failed)
    return 1 if summary.failed else 0


def run_verify(args: argparse.Namespace) -> int:
    from vetpy.lab.dataset.benign import is_cached

    releases = _releases(args.data, args.list)
    console = Console(stderr=True)
    missing = 0
    bad: dict[str, str] = {}
    with _progress(console) as progress:
        task = progress.add_task("verifying", total=len(releases))
        for release in releases:
            if not is_cached(release):
                missing += 1
            elif not is_cached(release, verify=True):
                bad[release.filename] = "sha256 mismatch"
            progress.advance(task)
    ok = len(releases) - missing - len(bad)
    print(f"{ok} of {len(releases)} cached and verified, {missing} missing, {len(bad)} corrupt")
    _print_failures(console, bad)
    return 1 if bad or missing else 0


def run_sample_recent(args: argparse.Namespace) -> int:
    from vetpy.lab.dataset.benign import read_benign_csv
    from vetpy.lab.dataset.corpus import malicious_samples
    from vetpy.lab.dataset.paths import data_dir
    from vetpy.lab.dataset.recent import sample_recent, write_release_csv

    if args.count < 1 or args.workers < 1:
        raise VetpyError("--count and --workers must be at least 1")
    exclude: list[str] = []
    try:
        data = data_dir(args.data)
    except VetpyError:
        if args.data:
            raise
    else:
        if (data / "benign.csv").is_file():
            exclude += [r.name for r in read_benign_csv(data / "benign.csv")]
        if (data / "malicious" / "manifest.csv").is_file():
            exclude += [s.name for s in malicious_samples(data)]
    console = Console(stderr=True)
    with _progress(console) as progress:
        task = progress.add_task("projects looked up", total=None)

        def checked(done: int, found: int) -> None:
            progress.update(task, completed=done, description=f"projects looked up ({found} recent)")

        releases = sample_recent(
            IndexClient(), args.since, args.count, args.seed, exclude, args.workers, on_checked=checked
        )
    write_release_csv(args.out, releases)
    print(f"{len(releases)} releases uploaded since {args.since} listed in {args.out}")
    return 0 if len(releases) == args.count else 1


def run_clones(args: argparse.Namespace) -> int:
    from vetpy.cache.downloads import DownloadCache
    from vetpy.lab.clone_index import ProjectDigests, build_index, read_popular
    from vetpy.lab.dataset.paths import cache_dir, data_dir

    if args.top < 1 or args.workers < 1:
        raise VetpyError("--top and --workers must be at least 1")
    listed = data_dir(args.data) / "popular.csv"
    if not listed.is_file():
        raise VetpyError(f"{listed}: not found")
    names = read_popular(listed, args.top)
    out = args.out or Path(__file__).resolve().parents[1] / "data" / "clones.npz"
    console = Console(stderr=True)
    with _progress(console) as progress:
        task = progress.add_task("projects", total=len(names))

        def done(project: ProjectDigests) -> None:
            progress.advance(task)

        summary = build_index(
            names,
            IndexClient(),
            out,
            source=f"popular.csv, top {args.top} (latest release of each)",
            cache=DownloadCache(cache_dir() / "clones"),
            workers=args.workers,
            on_done=done,
        )
    read = len(names) - len(summary.failed)
    print(f"{summary.digests} fingerprints of {read} of {len(names)} projects: {out} ({summary.size} bytes)")
    _print_failures(console, summary.failed)
    return 0
