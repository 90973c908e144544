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


#: The benign release lists: the original development sample, then recent uploads and popular projects.
BENIGN_LISTS = ("benign.csv", "benign_recent.csv", "benign_popular.csv")


def benign_samples(
    data: Path, cache: Path | None = None, require_cached: bool = True, list_name: str = "benign.csv"
) -> list[Sample]:
    """The releases of one benign list; ``source`` is ``benign-<stratum>`` for ``benign.csv`` and
    ``<list>-<stratum>`` (``benign_recent-recent-2026``) for the others, so reports can tell them apart."""
    releases = read_benign_csv(data / list_name)
    prefix = "benign" if list_name == "benign.csv" else list_name.removesuffix(".csv")
    samples = [
        Sample(
            label=BENIGN,
            path=archive_path(r, cache),
            sha256=r.sha256,
            name=r.name,
            version=r.version,
            date=r.upload_time[:10],
            source=f"{prefix}-{r.stratum}",
        )
        for r in releases
    ]
    return [s for s in samples if s.path.is_file()] if require_cached else samples


def load_corpus(
    data: Path, cache: Path | None = None, lists: tuple[str, ...] = BENIGN_LISTS[:1]
) -> list[Sample]:
    """Every malicious sample plus every benign release of ``lists`` present in the cache (a release listed
    twice counts once, under the first list that names it)."""
    samples = malicious_samples(data)
    seen = {s.sha256 for s in samples}
    for list_name in lists:
        for sample in benign_samples(data, cache, list_name=list_name):
            if sample.sha256 not in seen:
                seen.add(sample.sha256)
                samples.append(sample)
    return samples


def name_bucket(name: str, buckets: int = 100) -> int:
    """A fixed hash of the canonical project name (0..buckets-1): splits keep a project on one side."""
    digest = hashlib.sha256(canonicalize_name(name).encode()).digest()
    return int.from_bytes(digest[:4], "big") % buckets


def corpus_id(samples: list[Sample]) -> str:
    """A short id of a training set: the hash of its sorted (sha256, label) pairs."""
    text = "\n".join(sorted(f"{s.sha256}:{s.label}" for s in samples))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
