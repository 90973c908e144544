"""The source pass over many Python files of one package, on several cores when the package is large.

Off by default (one process: corpus extraction, batch and the service already run one package per core);
``vetpy scan`` turns it on with :func:`set_file_jobs` when it scans one package at a time. Workers are
forked after the archive is read, so they share its members copy-on-write (nothing is copied to them)
and send back only each file's frozen facts; the facts come back in file order, so every feature is the
same as in one process.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor

from vetpy.acquire.interface import Member
from vetpy.features.roles import install_time_setup
from vetpy.features.source.facts import FileFacts
from vetpy.features.source.prepass import needs_tree
from vetpy.features.source.scan import scan_light, scan_source
from vetpy.features.source.text import decode_source

MIN_PARALLEL_BYTES = 2_000_000  # below this, forking costs more than it saves
CHUNKS_PER_JOB = 4

_file_jobs = 1
_members: Sequence[Member] = ()
_setup: str | None = None


def set_file_jobs(jobs: int) -> None:
    """Processes the source pass of one large package may use (1: stay in this process)."""
    global _file_jobs
    _file_jobs = max(1, jobs)


def file_jobs() -> int:
    return _file_jobs


def scan_member(member: Member, setup: str | None) -> FileFacts:
    """The source pass over one Python member (``setup``: the path of the package's setup.py, scanned as
    pip runs it: maintainer-only branches blanked, see roles.py); a file the fast pass finds nothing in
    gets its text-level signals only (prepass.py)."""
    text = decode_source(member.data)
    is_setup = member.path == setup
    if not needs_tree(member.path, text, is_setup):
        return scan_light(member.path, text)
    return scan_source(
        member.path, install_time_setup(text) if is_setup else text, is_setup=is_setup, data=member.data
    )


def _init(members: Sequence[Member], setup: str | None) -> None:
    global _members, _setup
    _members, _setup = members, setup


def _scan_range(bounds: tuple[int, int]) -> list[FileFacts]:
    return [scan_member(m, _setup) for m in _members[bounds[0] : bounds[1]]]


def _ranges(members: Sequence[Member], parts: int) -> list[tuple[int, int]]:
    """Contiguous index ranges of about equal bytes."""
    total = sum(len(m.data) for m in members)
    ranges: list[tuple[int, int]] = []
    start, acc = 0, 0
    for i, m in enumerate(members):
        acc += len(m.data)
        if acc >= total * (len(ranges) + 1) / parts and i + 1 < len(members):
            ranges.append((start, i + 1))
            start = i + 1
    ranges.append((start, len(members)))
    return ranges


def _parallel(members: Sequence[Member]) -> bool:
    return (
        _file_jobs > 1
        and sys.platform == "linux"
        and len(members) >= 2 * _file_jobs
        and sum(len(m.data) for m in members) >= MIN_PARALLEL_BYTES
        and not multiprocessing.current_process().daemon
    )


def iter_members(members: Sequence[Member], setup: str | None) -> Iterator[FileFacts]:
    """:func:`scan_members`' facts one at a time: in this process each member is scanned only when its
    facts are asked for, so the caller's next use of the same text (the suspicious lines) finds it decoded
    and lower-cased still (text.decode_source, wordsearch.lowered remember the last one)."""
    if _parallel(members):
        yield from scan_members(members, setup)
    else:
        for m in members:
            yield scan_member(m, setup)


def scan_members(members: Sequence[Member], setup: str | None) -> list[FileFacts]:
    """The facts of every member, in order; on several processes when :func:`_parallel` says so (and in
    this one if the pool fails)."""
    if not _parallel(members):
        return [scan_member(m, setup) for m in members]
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(
            _file_jobs, mp_context=context, initializer=_init, initargs=(members, setup)
        ) as pool:
            parts = list(pool.map(_scan_range, _ranges(members, _file_jobs * CHUNKS_PER_JOB)))
    except Exception:  # a worker died or a result could not come back: do it here instead
        return [scan_member(m, setup) for m in members]
    return [facts for part in parts for facts in part]
