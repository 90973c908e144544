"""The pre-install gate: ``vetpy pip install ARGS...`` scans everything pip would install, then installs it.

1. Resolve what ``pip install ARGS`` would install (:mod:`vetpy.acquire.resolve`: pip's finder rules, with
   dependencies read as data; no package code runs, and building an sdist would run its code).
2. Download every chosen file (the one pip would install, and the release's sdist) into a private folder,
   each checked against the index's digest, and scan each.
3. Anything flagged: print the report, exit 1, install nothing. Anything not scanned completely, or a
   dependency that cannot be resolved without a build: exit 3, install nothing (fail closed).
4. Otherwise run pip on exactly those files: ``pip install --isolated --no-index --find-links DIR
   --require-hashes --no-deps -r PINS`` (each pin with the sha256 of the files scanned), so pip can neither
   reach an index nor take a file that was not scanned.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from packaging.requirements import InvalidRequirement, Requirement

from vetpy.acquire.archive import open_archive
from vetpy.acquire.index import Artifact, IndexClient
from vetpy.acquire.interface import Limits
from vetpy.acquire.pipconfig import read_settings
from vetpy.acquire.release import FileKind
from vetpy.acquire.requirements import read_requirements
from vetpy.acquire.resolve import Pin, resolve
from vetpy.errors import VetpyError
from vetpy.redact import redact
from vetpy.report import Format, render
from vetpy.result import ScanResult, Verdict
from vetpy.scan import Scanner, redact_result

REFUSED_FLAGGED = 1
REFUSED_INCOMPLETE = 3
_PASSTHROUGH_FLAGS = ("--user", "-U", "--upgrade", "--force-reinstall", "--no-cache-dir", "-q", "--quiet")
_PASSTHROUGH_VALUES = ("-t", "--target", "--prefix", "--root")


@dataclass(frozen=True)
class GateRequest:
    """What ``pip install`` was asked for, in the subset of its options the gate understands."""

    requirements: tuple[Requirement, ...]
    passthrough: tuple[str, ...] = ()  # options handed to the final pip run (--target...)
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    no_deps: bool = False


def parse_pip_args(args: Sequence[str]) -> GateRequest:
    """Read ``pip install`` arguments; an option the gate cannot honour safely is a usage error."""
    parser = argparse.ArgumentParser(
        prog="vetpy pip install", add_help=False, exit_on_error=False, allow_abbrev=False
    )
    parser.add_argument("requirements", nargs="*")
    parser.add_argument("-r", "--requirement", action="append", default=[])
    parser.add_argument("-i", "--index-url")
    parser.add_argument("--extra-index-url", action="append", default=[])
    parser.add_argument("--no-deps", action="store_true")
    for flag in _PASSTHROUGH_FLAGS:
        parser.add_argument(flag, action="count", dest=f"pass{flag}", default=0)
    for option in _PASSTHROUGH_VALUES:
        parser.add_argument(option, action="append", dest=f"pass{option}", default=[])
    try:
        parsed, unknown = parser.parse_known_args(list(args))
    except argparse.ArgumentError as exc:
        raise VetpyError(f"vetpy pip install: {exc}") from None
    if unknown:
        raise VetpyError(f"vetpy pip install: option not supported by the gate: {' '.join(unknown)[:80]}")
    requirements = [_requirement(text) for text in parsed.requirements]
    for path in parsed.requirement:
        for line in read_requirements(Path(path)).entries:
            if line.requirement is None:
                raise VetpyError(f"{line.origin}: the gate cannot verify this line ({line.skipped})")
            requirements.append(line.requirement)
    if not requirements:
        raise VetpyError("vetpy pip install: nothing to install")
    passthrough: list[str] = []
    for flag in _PASSTHROUGH_FLAGS:
        passthrough += [flag] * getattr(parsed, f"pass{flag}")
    for option in _PASSTHROUGH_VALUES:
        for value in getattr(parsed, f"pass{option}"):
            passthrough += [option, value]
    return GateRequest(
        tuple(requirements),
        tuple(passthrough),
        parsed.index_url,
        tuple(parsed.extra_index_url),
        parsed.no_deps,
    )


def _requirement(text: str) -> Requirement:
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        raise VetpyError(
            f"vetpy pip install: only requirements from an index are gated, not {text[:80]!r}"
        ) from None
    if requirement.url:
        raise VetpyError(f"vetpy pip install: direct URLs are not gated: {redact(text)[:80]!r}")
    return requirement


def _client(request: GateRequest) -> IndexClient:
    settings = read_settings(request.index_url)
    if request.extra_index_urls:
        extras = tuple(u.rstrip("/") for u in request.extra_index_urls)
        settings = replace(settings, extra_index_urls=settings.extra_index_urls + extras)
    return IndexClient(settings=settings)


def _scan_pin(
    pin: Pin, client: IndexClient, scanner: Scanner, folder: Path, limits: Limits
) -> list[ScanResult]:
    """Download and scan the files of one pin (pip's file and the sdist) into ``folder``."""
    label = f"{pin.name}=={pin.version}"
    results = []
    for release in client.choose(Requirement(label), Artifact.AUTO).files:
        try:
            data = client.download(release, max_bytes=limits.max_archive_bytes)
            (folder / release.filename).write_bytes(data)
            archive = open_archive(data, target=label, filename=release.filename, limits=limits)
            result = scanner.scan_archive(archive)
        except VetpyError as exc:
            result = ScanResult(label, pin.name, pin.version, None, Verdict.ERROR, None, None, error=str(exc))
        results.append(redact_result(replace(result, filename=release.filename)))
    return results


def run_gate(request: GateRequest, scanner: Scanner, *, out: TextIO, err: TextIO) -> int:
    """Scan everything ``request`` would install; install it with pip only if nothing was flagged."""
    client = _client(request)
    try:
        resolution = resolve(client, request.requirements, no_deps=request.no_deps)
    except VetpyError as exc:
        print(redact(f"vetpy: refused, nothing installed: {exc}"), file=err)
        return REFUSED_INCOMPLETE
    with tempfile.TemporaryDirectory(prefix="vetpy-gate-") as tmp:
        folder = Path(tmp) / "files"
        folder.mkdir()
        results = [
            r for pin in resolution.pins for r in _scan_pin(pin, client, scanner, folder, scanner.limits)
        ]
        out.write(render(results, Format.TEXT, model=scanner.scorer.name))
        if any(r.flagged for r in results):
            names = ", ".join(sorted({r.filename or r.target for r in results if r.flagged}))
            print(f"vetpy: refused, nothing installed: flagged {names}", file=err)
            return REFUSED_FLAGGED
        problems = [r.error for r in results if r.verdict is Verdict.ERROR] + list(resolution.unresolved)
        if problems:
            print(redact(f"vetpy: refused, nothing installed: {problems[0]}"), file=err)
            return REFUSED_INCOMPLETE
        return _install(resolution.pins, results, folder, request.passthrough)


def _install(
    pins: Sequence[Pin], results: Sequence[ScanResult], folder: Path, passthrough: Sequence[str]
) -> int:
    """pip, offline, on exactly the scanned files (pinned by their sha256)."""
    lines = []
    for pin in pins:
        hashes = {r.sha256 for r in results if r.target == f"{pin.name}=={pin.version}" and r.sha256}
        lines.append(f"{pin.name}=={pin.version} " + " ".join(f"--hash=sha256:{h}" for h in sorted(hashes)))
    pins_file = folder.parent / "pins.txt"
    pins_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--isolated",
        "--no-index",
        "--find-links",
        str(folder),
    ]
    command += ["--require-hashes", "--no-deps", "--disable-pip-version-check", "-r", str(pins_file)]
    if any(pin.release.packagetype is FileKind.SDIST for pin in pins):
        command.append("--no-build-isolation")  # build tools come from this environment, not the index
    return subprocess.run([*command, *passthrough], check=False).returncode
