"""The labelled development corpus: malicious archives from the manifest, benign ones from the cache."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from vetpy.errors import VetpyError
from vetpy.lab.dataset.benign import archive_path, read_benign_csv

MALICIOUS = 1
BENIGN = 0


@dataclass(frozen=True)
class Sample:
    """One labelled archive. ``date`` is when malware was added to its dataset, or a benign upload time."""

    label: int
    path: Path
    sha256: str
    name: str
    version: str
    date: str
    source: str  # "malicious" | "benign-top" | "benign-tail"


def malicious_samples(data: Path) -> list[Sample]:
    manifest = data / "malicious" / "manifest.csv"
    if not manifest.is_file():
        raise VetpyError(f"{manifest}: malicious manifest not found")
    with manifest.open(newline="", encoding="utf-8") as handle:
        return [
            Sample(
                label=MALICIOUS,
                path=data / "malicious" / row["file"],
                sha256=row["sha256"].lower(),
                name=row["name"],
                version=row["version"],
                date=row["date"],
                source="malicious",
            )
            for row in csv.DictReader(handle)
        ]


def benign_samples(data: Path, cache: Path | None = None, require_cached: bool = True) -> list[Sample]:
    releases = read_benign_csv(data / "benign.csv")
    samples = [
        Sample(
            label=BENIGN,
            path=archive_path(r, cache),
            sha256=r.sha256,
            name=r.name,
            version=r.version,
            date=r.upload_time[:10],
            source=f"benign-{r.stratum}",
        )
        for r in releases
    ]
    return [s for s in samples if s.path.is_file()] if require_cached else samples


def load_corpus(data: Path, cache: Path | None = None) -> list[Sample]:
    """Every malicious sample plus every benign release present in the cache."""
    return malicious_samples(data) + benign_samples(data, cache)


def name_bucket(name: str, buckets: int = 100) -> int:
    """A fixed hash of the canonical project name (0..buckets-1): splits keep a project on one side."""
    digest = hashlib.sha256(canonicalize_name(name).encode()).digest()
    return int.from_bytes(digest[:4], "big") % buckets


def corpus_id(samples: list[Sample]) -> str:
    """A short id of a training set: the hash of its sorted (sha256, label) pairs."""
    text = "\n".join(sorted(f"{s.sha256}:{s.label}" for s in samples))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
