#!/usr/bin/env python3
"""Zero-difference check of a change to the feature code: the features this code extracts against those a
reference version stored in the feature cache (``~/.cache/vetpy/features.sqlite``, keyed by archive sha256
and the extractor fingerprint of the code that made them).

For each archive of the check sample: the FeatureRecord this code makes (``extract_one``: the registry
values, both texts, name, version, near-duplicate key, error) is compared field by field, floats exactly,
with the cached record of ``--reference`` (the fingerprint of the code before the change: run
``python -c "from vetpy.lab.dataset.extraction import extractor_fingerprint as f; print(f())"`` there).
The sample: every malicious archive with a Python file over ``--min-py`` bytes (the files on which the
source pass does the most), plus ``--benign`` archives drawn with ``--seed`` from the three benign lists.

    python benchmarks/features_equal.py --reference 614c8458688f4766 --benign 1000 --out results.json

Only counts, field names and sha256 go to ``--out`` (never code or text from the archives). Malware is
read as bytes, in memory. One process (``nice`` it beside other work); resumable with ``--progress``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from vetpy.acquire.archive import open_archive
from vetpy.features.source.text import PY_SUFFIXES
from vetpy.lab.dataset.corpus import Sample, benign_samples, malicious_samples
from vetpy.lab.dataset.extraction import FeatureCache, FeatureRecord, extract_one, extractor_fingerprint

BENIGN_LISTS = ("benign.csv", "benign_recent.csv", "benign_popular.csv")
FIELDS = ("error", "name", "version", "values", "suspicious_text", "code_text", "dup_key")


def largest_python_file(sample: Sample) -> int:
    """Bytes of the largest Python member (0 when the archive cannot be read)."""
    try:
        archive = open_archive(sample.path.read_bytes(), target=str(sample.path), filename=sample.path.name)
    except Exception:
        return 0
    return max((len(m.data) for m in archive.members if m.path.lower().endswith(PY_SUFFIXES)), default=0)


def differing_fields(new: FeatureRecord, ref: FeatureRecord) -> list[str]:
    return [f for f in FIELDS if getattr(new, f) != getattr(ref, f)]


def sample(data: Path, min_py: int, benign: int, seed: int, malicious_n: int = 0) -> list[tuple[str, Sample]]:
    malicious = [("malicious", s) for s in malicious_samples(data) if largest_python_file(s) > min_py]
    if malicious_n:
        malicious = random.Random(seed).sample(malicious, min(malicious_n, len(malicious)))
    pool = [s for name in BENIGN_LISTS for s in benign_samples(data, list_name=name)]
    drawn = random.Random(seed).sample(pool, min(benign, len(pool)))
    return malicious + [("benign", s) for s in drawn]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", required=True, help="extractor fingerprint of the code before")
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--min-py", type=int, default=50_000)
    parser.add_argument("--benign", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--malicious", type=int, default=0, help="draw this many of them (0: all)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    start = time.time()
    items = sample(args.data, args.min_py, args.benign, args.seed, args.malicious)
    print(f"{len(items)} archives in the check sample", file=sys.stderr)
    reference = FeatureCache(fingerprint=args.reference).get_many(s.sha256 for _, s in items)
    counts: dict[str, Counter[str]] = {"malicious": Counter(), "benign": Counter()}
    fields: Counter[str] = Counter()
    differing: list[dict[str, Any]] = []
    for n, (label, s) in enumerate(items, start=1):
        ref = reference.get(s.sha256)
        if ref is None:
            counts[label]["no_reference"] += 1
            continue
        diff = differing_fields(extract_one(s), ref)
        counts[label]["compared"] += 1
        counts[label]["equal" if not diff else "different"] += 1
        fields.update(diff)
        if diff:
            differing.append({"sha256": s.sha256, "label": label, "fields": diff})
        if n % 100 == 0:
            print(f"{n}/{len(items)} {dict(counts['malicious'])} {dict(counts['benign'])}", file=sys.stderr)
    result = {
        "date": dt.date.today().isoformat(),
        "command": " ".join(["python", "benchmarks/features_equal.py", *(argv or sys.argv[1:])]),
        "reference_fingerprint": args.reference,
        "new_fingerprint": extractor_fingerprint(),
        "sample": {
            "malicious_min_py_bytes": args.min_py,
            "malicious_drawn": args.malicious,
            "benign": args.benign,
            "seed": args.seed,
        },
        "fields_compared": list(FIELDS),
        "counts": {k: dict(v) for k, v in counts.items()},
        "differing_fields": dict(fields),
        "differing": differing,
        "seconds": round(time.time() - start, 1),
    }
    args.out.write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "differing"}, indent=1))
    return 0 if not differing else 1


if __name__ == "__main__":
    raise SystemExit(main())
