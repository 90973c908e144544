"""Wire the feature stage: gather facts once, run the detectors, make values (never raises on content).

The detectors run in a fixed order: the ``code_text`` token stream follows it, and the bundled model was
trained on that stream, so a new detector goes at the end of its family's step (or at the end).
"""

from __future__ import annotations

from collections.abc import Callable

from vetpy.acquire.interface import Archive
from vetpy.features import archive, behaviours, forensics, install, metadata, network, obfuscation, paper
from vetpy.features.collect import Collector
from vetpy.features.gather import PackageFacts, gather
from vetpy.features.interface import PackageFeatures
from vetpy.features.source.facts import Hit
from vetpy.gcpause import paused_gc

Detector = Callable[[PackageFacts, Collector], None]


def _source_signals(facts: PackageFacts, out: Collector) -> None:
    """Per-file signals of every code family (dynamic code, network, data access, obfuscation, ...)."""
    for f in facts.files:
        out.add_file(f)


#: Detectors before the metadata step (which also yields the package's name and version).
BEFORE_METADATA: tuple[Detector, ...] = (
    install.detect_pth,
    network.detect_scripts,
    install.detect_setup_marker,
    archive.detect,
)
#: Detectors after it.
AFTER_METADATA: tuple[Detector, ...] = (
    network.detect_urls,
    _source_signals,
    obfuscation.detect_parse_errors,
    install.detect_running_code,
    install.detect_entry_points,
    behaviours.detect,
    paper.detect_install_hook,
    forensics.detect,  # tokens only, at the end of the stream (see the module docstring)
)


def extract_features(archive: Archive) -> PackageFeatures:
    """Compute every registry feature, the paper's suspicious-lines text, code tokens and evidence (the
    cyclic garbage collector paused meanwhile: see gcpause.py)."""
    with paused_gc():
        facts = gather(archive)
        out = Collector()
        out.add_text(facts.suspicious_lines)
        for detector in BEFORE_METADATA:
            detector(facts, out)
        name, version = metadata.detect(facts, out)
        for detector in AFTER_METADATA:
            detector(facts, out)
        return out.finish(name, version)


__all__ = ["Hit", "extract_features"]
