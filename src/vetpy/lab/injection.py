"""The injection hold-out: the time split's test malware planted inside real benign projects.

New malware is less often a tiny package of its own and more often a real-looking one: a copy of a real
project with a few files added or a setup.py swapped. A model that learned "small and bare = malicious"
misses those while its time-split figures look fine. This protocol measures that: each test malware (one
per near-duplicate cluster) is merged into a test-side benign sdist (the benign project's files and its
PKG-INFO, the malware's files added under the benign root, the malware's files winning a clash such as
setup.py), and the merged archive goes through the real reader and extractor. Both are read as bytes in
memory; nothing is unpacked to disk and nothing is run. The time split's model then scores the merged
archives at its own threshold, beside the same malware on its own.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vetpy.acquire.archive import open_archive
from vetpy.acquire.interface import Archive
from vetpy.features.interface import PackageFeatures
from vetpy.lab.dataset.corpus import Sample
from vetpy.lab.dataset.extraction import FeatureCache, FeatureRecord, records_in_pool
from vetpy.lab.evaluate import finding_flags
from vetpy.lab.metrics import recall_at_fpr

#: Benign hosts: sdists of this many bytes (big enough to look like a project, small enough to be quick).
HOST_BYTES = (20_000, 3_000_000)
#: Malware members that describe the malware's own distribution rather than add code.
METADATA_PARTS = ("PKG-INFO", ".egg-info/", ".dist-info/")
MTIME = 1_700_000_000


@dataclass(frozen=True)
class Pair:
    """One test malware planted in one benign host (indices into the evaluation data)."""

    malware: int
    host: int


def _root(paths: list[str]) -> str:
    """The one top-level folder every path shares (an sdist's ``name-version/``), or ''."""
    heads = {p.split("/", 1)[0] for p in paths if "/" in p}
    if len(heads) == 1 and all("/" in p for p in paths):
        return heads.pop() + "/"
    return ""


def merged_members(malware: Archive, host: Archive) -> dict[str, bytes]:
    """The host's files with the malware's code files added under the host's root (the malware's own
    metadata left out; on a clash, such as setup.py, the malware's file wins)."""
    host_paths = [m.path for m in host.members]
    host_root = _root(host_paths)
    mal_root = _root([m.path for m in malware.members])
    out = {m.path: m.data for m in host.members}
    for m in malware.members:
        rel = m.path[len(mal_root) :] if mal_root else m.path
        if not rel or any(part in rel or rel.endswith(part.rstrip("/")) for part in METADATA_PARTS):
            continue
        out[host_root + rel] = m.data
    return out


def tar_gz(files: dict[str, bytes]) -> bytes:
    """A deterministic gzipped tar of ``files`` (fixed times and modes), built in memory."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(files):
            info = tarfile.TarInfo(path)
            info.size, info.mtime, info.mode = len(files[path]), MTIME, 0o644
            tar.addfile(info, io.BytesIO(files[path]))
    return buffer.getvalue()


def merged_archive_bytes(malware_path: Path, host_path: Path) -> bytes:
    """Both archives read in memory and merged into one sdist (bytes; never written to disk)."""
    malware = open_archive(malware_path.read_bytes(), target=str(malware_path), filename=malware_path.name)
    host = open_archive(host_path.read_bytes(), target=str(host_path), filename=host_path.name)
    return tar_gz(merged_members(malware, host))


def _extract(job: tuple[str, Path, Path]) -> FeatureRecord:
    """Merge, read and extract one pair (a worker's task); an error becomes a record, as in the corpus."""
    from vetpy.features.extract import extract_features
    from vetpy.lab.dataset.extraction import error_record, record_from

    key, malware_path, host_path = job
    try:
        data = merged_archive_bytes(malware_path, host_path)
        archive = open_archive(data, target=f"injected-{key[:12]}.tar.gz", filename="injected.tar.gz")
        return record_from(key, archive, extract_features(archive.analysed()))  # as a scan reads it
    except Exception as exc:  # one bad pair is a record with its error, never the end of the run
        return error_record(key, exc)


def pair_key(malware: Sample, host: Sample) -> str:
    """The cache key of one merged archive: its inputs' hashes (the merge is deterministic)."""
    return hashlib.sha256(f"inject:{malware.sha256}:{host.sha256}".encode()).hexdigest()


def choose_pairs(
    samples: list[Sample],
    groups: np.ndarray,
    malware_rows: np.ndarray,
    benign_rows: np.ndarray,
    n: int,
    seed: int = 0,
    host_bytes: tuple[int, int] = HOST_BYTES,
) -> list[Pair]:
    """Up to ``n`` test malware (one per near-duplicate cluster, clusters in seeded order), each with a
    seeded random benign sdist host of ``host_bytes``."""
    rng = np.random.default_rng(seed)
    hosts = [
        int(i)
        for i in benign_rows
        if samples[i].path.name.endswith(".tar.gz")
        and host_bytes[0] <= _size(samples[i].path) <= host_bytes[1]
    ]
    if not hosts:
        return []
    seen: set[str] = set()
    chosen: list[int] = []
    for i in rng.permutation(malware_rows):
        group = str(groups[i])
        if group not in seen:
            seen.add(group)
            chosen.append(int(i))
        if len(chosen) >= n:
            break
    return [Pair(i, hosts[int(rng.integers(len(hosts)))]) for i in chosen]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def injected_features(
    samples: list[Sample], pairs: list[Pair], jobs: int = 2, cache: FeatureCache | None = None
) -> list[PackageFeatures | None]:
    """Features of each pair's merged archive (None where it could not be read), cached like the corpus."""
    keys = [pair_key(samples[p.malware], samples[p.host]) for p in pairs]
    known = cache.get_many(keys) if cache is not None else {}
    todo = [(k, samples[p.malware].path, samples[p.host].path) for k, p in zip(keys, pairs, strict=True)]
    todo = [job for job in todo if job[0] not in known]
    fresh = list(records_in_pool(_extract, todo, jobs, per_worker=200, chunk=4))
    if cache is not None:
        cache.put_many(fresh)
    records = {**known, **{r.sha256: r for r in fresh}}
    return [records[k].to_features() if records[k].error is None else None for k in keys]


def planted_scores(
    model: Any, samples: list[Sample], pairs: list[Pair], jobs: int = 2, cache: FeatureCache | None = None
) -> tuple[list[Pair], np.ndarray, int, np.ndarray]:
    """``pairs`` (from :func:`choose_pairs`) merged, read and scored by ``model``: the pairs whose merged
    archive could be read, their scores, how many pairs could not be read, and which show a hard finding
    in their features (``vetpy.policy``: what the scan path adds to the score)."""
    feats = injected_features(samples, pairs, jobs, cache)
    ok = [(p, f) for p, f in zip(pairs, feats, strict=True) if f is not None]
    scores = np.asarray(model.predict_proba([f for _, f in ok]))[:, 1] if ok else np.zeros(0)
    return [p for p, _ in ok], scores, len(pairs) - len(ok), finding_flags([f for _, f in ok])


def injection_holdout(
    model: Any,
    threshold: float,
    samples: list[Sample],
    groups: np.ndarray,
    test_rows: np.ndarray,
    test_scores: np.ndarray,
    labels: np.ndarray,
    n: int = 300,
    jobs: int = 2,
    cache: FeatureCache | None = None,
    progress: Callable[[str], None] | None = None,
    host_bytes: tuple[int, int] = HOST_BYTES,
    row_findings: np.ndarray | None = None,
) -> dict[str, Any]:
    """Score up to ``n`` test malware planted in test-side benign projects with the time split's model,
    beside the same malware alone; the benign test rows' scores give the rate at FPR 0.1%. With
    ``row_findings`` (per sample row: a hard finding in its features) also the scan path's recall."""
    by_row = {int(r): float(s) for r, s in zip(test_rows, test_scores, strict=True)}
    malware_rows = np.array([r for r in test_rows if labels[r] == 1])
    benign_rows = np.array([r for r in test_rows if labels[r] == 0])
    chosen = choose_pairs(samples, groups, malware_rows, benign_rows, n, host_bytes=host_bytes)
    pairs, injected, unreadable, planted_findings = planted_scores(model, samples, chosen, jobs, cache)
    if progress:
        progress(f"injection: {len(pairs)} of {len(pairs) + unreadable} merged archives read")
    if not pairs:
        return {"protocol": "injection", "n": 0}
    alone = np.array([by_row[p.malware] for p in pairs])
    benign_scores = np.array([by_row[int(r)] for r in benign_rows])
    y = np.concatenate([np.ones(len(pairs)), np.zeros(len(benign_scores))])
    scan_path: dict[str, Any] = {}
    if row_findings is not None:
        alone_findings = np.array([bool(row_findings[p.malware]) for p in pairs], dtype=bool)
        scan_path = {
            "recall_alone_scan_path": float(((alone >= threshold) | alone_findings).mean()),
            "recall_injected_scan_path": float(((injected >= threshold) | planted_findings).mean()),
            "injected_caught_only_by_findings": int((planted_findings & (injected < threshold)).sum()),
        }
    return {
        **scan_path,
        "protocol": "injection",
        "n": len(pairs),
        "unreadable": unreadable,
        "threshold": threshold,
        "recall_alone": float((alone >= threshold).mean()),
        "recall_injected": float((injected >= threshold).mean()),
        "recall_injected_at_fpr_0.1%": recall_at_fpr(y, np.concatenate([injected, benign_scores]), 0.001),
        "recall_alone_at_fpr_0.1%": recall_at_fpr(y, np.concatenate([alone, benign_scores]), 0.001),
        "lost": int(((alone >= threshold) & (injected < threshold)).sum()),
        "median_score_alone": float(np.median(alone)),
        "median_score_injected": float(np.median(injected)),
    }


def injection_markdown(kind: str, m: dict[str, Any]) -> list[str]:
    """The summary lines of one model's injection hold-out."""
    if not m.get("n"):
        return ["", f"`{kind}` injection hold-out: no merged archive could be read."]
    return [
        "",
        f"`{kind}` injection hold-out ({m['n']} time-split test malware, one per near-duplicate cluster, each"
        f" planted in a test-side benign sdist; {m['unreadable']} pairs unreadable), threshold"
        f" {m['threshold']:.3f}:",
        "",
        "| | recall at own threshold | recall@FPR0.1% | median score |",
        "|---|---|---|---|",
        f"| malware alone | {m['recall_alone']:.3f} | {m['recall_alone_at_fpr_0.1%']:.3f}"
        f" | {m['median_score_alone']:.3f} |",
        f"| planted in a benign project | {m['recall_injected']:.3f} | {m['recall_injected_at_fpr_0.1%']:.3f}"
        f" | {m['median_score_injected']:.3f} |",
        "",
        f"Caught alone but missed once planted: {m['lost']}.",
        *_scan_path_lines(m),
    ]


def _scan_path_lines(m: dict[str, Any]) -> list[str]:
    if "recall_injected_scan_path" not in m:
        return []
    return [
        "",
        f"Scan path (the model or a hard finding from the features): alone {m['recall_alone_scan_path']:.3f},"
        f" planted {m['recall_injected_scan_path']:.3f} ({m['injected_caught_only_by_findings']} planted"
        " caught only by a finding).",
    ]
