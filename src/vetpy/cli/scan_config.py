"""``vetpy scan``'s options merged with ``[tool.vetpy]`` (the command line wins) and the ignore list."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vetpy.acquire.release import ARTIFACTS, Artifact
from vetpy.errors import VetpyError
from vetpy.projectconfig import ProjectConfig, apply_ignores, find_config, load_config
from vetpy.report import Format
from vetpy.result import ScanResult


@dataclass(frozen=True)
class ScanOptions:
    """What one ``vetpy scan`` run uses, after the command line and ``[tool.vetpy]`` are merged."""

    config: ProjectConfig
    format: str
    threshold: float | None
    model: str | None
    artifact: Artifact
    trust_requirements_indexes: bool
    targets: tuple[str, ...]


def _config(args: argparse.Namespace) -> ProjectConfig:
    if getattr(args, "no_config", False):
        return ProjectConfig()
    path = getattr(args, "config", None) or find_config()
    return load_config(Path(path)) if path else ProjectConfig()


def _choice(value: object, choices: Sequence[str], key: str, config: ProjectConfig) -> str:
    if not isinstance(value, str) or value not in choices:
        raise VetpyError(f"{config.path}: [tool.vetpy] {key} must be one of {', '.join(choices)}")
    return value


def _threshold(value: object, config: ProjectConfig) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= float(value) <= 1:
        raise VetpyError(f"{config.path}: [tool.vetpy] threshold must be a number from 0 to 1")
    return float(value)


def _targets(value: object, config: ProjectConfig) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise VetpyError(f"{config.path}: [tool.vetpy] targets must be a list of strings")
    base = Path(config.path).parent if config.path else Path()
    return tuple(str(base / v) if (base / v).exists() else v for v in value)


def scan_options(args: argparse.Namespace) -> ScanOptions:
    """Merge the command line with ``[tool.vetpy]``; a bad setting is a usage error."""
    config = _config(args)
    settings = config.settings
    fmt = args.format or _choice(settings.get("format", "text"), [f.value for f in Format], "format", config)
    artifact = args.artifact or _choice(settings.get("artifact", "auto"), ARTIFACTS, "artifact", config)
    model = args.model or settings.get("model")
    if model is not None and not isinstance(model, str):
        raise VetpyError(f"{config.path}: [tool.vetpy] model must be a string")
    trust = args.trust_requirements_indexes or settings.get("trust-requirements-indexes", False) is True
    threshold = args.threshold
    if threshold is None:
        threshold = _threshold(settings.get("threshold"), config)
    given = args.targets or args.requirements or args.installed is not None
    return ScanOptions(
        config=config,
        format=fmt,
        threshold=threshold,
        model=model,
        artifact=Artifact(artifact),
        trust_requirements_indexes=trust,
        targets=tuple(args.targets) if given else _targets(settings.get("targets"), config),
    )


def mark_ignored(results: Sequence[ScanResult], options: ScanOptions) -> list[ScanResult]:
    """Apply the ignore list; say on stderr which entries expired."""
    marked, warnings = apply_ignores(results, options.config.ignore)
    for warning in warnings:
        print(f"vetpy: warning: {warning}", file=sys.stderr)
    return marked
