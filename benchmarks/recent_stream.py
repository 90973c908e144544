"""False positives on recent uploads: how often each model flags a random sample of new releases of
projects the development data never held (``vetpy dataset sample-recent``), the closest thing here to the
stream a deployed scanner sees. Nothing in the sample is known to be benign: every flagged package is
listed with its strongest reasons so a person can read it before calling it a false positive.

    python benchmarks/recent_stream.py --list ~/.cache/vetpy/recent/recent-2026-11.csv \\
        --model default --model all-features=~/.cache/vetpy/bench/all-features.skops \\
        --out benchmarks/results/2026-11-30-recent.json

``--model`` is ``default`` (the bundled model), ``rules``, or ``LABEL=PATH`` of a saved model. The archives
must be in the cache first (``vetpy dataset fetch --list CSV``); features are read from (and added to)
the shared feature cache. Writes JSON (no code snippets: feature ids and evidence locations only).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from vetpy.lab.dataset.benign import archive_path, read_benign_csv
from vetpy.lab.dataset.corpus import Sample
from vetpy.lab.dataset.extraction import FeatureCache, extract_corpus
from vetpy.scan import default_scorer, load_scorer


def _scorer(spec: str) -> tuple[str, Any]:
    if spec == "default":
        return "default (bundled)", default_scorer()
    if spec == "rules":
        return "rules", load_scorer("rules")
    label, _, path = spec.partition("=")
    if not path:
        raise SystemExit(f"--model {spec!r}: use default, rules or LABEL=PATH")
    return label, load_scorer(str(Path(path).expanduser()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--list", type=Path, required=True, help="release list from `vetpy dataset sample-recent`"
    )
    parser.add_argument("--model", action="append", default=[], help="default, rules or LABEL=PATH (repeat)")
    parser.add_argument("--out", type=Path, required=True, help="results JSON")
    parser.add_argument(
        "--jobs", type=int, default=0, help="feature-extraction processes (default: all cores)"
    )
    args = parser.parse_args(argv)
    releases = read_benign_csv(args.list.expanduser())
    present = [r for r in releases if archive_path(r).is_file()]
    samples = [
        Sample(0, archive_path(r), r.sha256, r.name, r.version, r.upload_time[:10], r.stratum)
        for r in present
    ]
    start = time.perf_counter()
    cache = FeatureCache()
    records = extract_corpus(samples, jobs=args.jobs, cache=cache)
    cache.close()
    readable = [s for s in samples if records[s.sha256].error is None]
    features = [records[s.sha256].to_features() for s in readable]
    print(
        f"{len(releases)} listed, {len(present)} in the cache, {len(readable)} readable"
        f" ({time.perf_counter() - start:.0f} s)",
        file=sys.stderr,
    )
    results: dict[str, Any] = {
        "list": args.list.name,
        "listed": len(releases),
        "in_cache": len(present),
        "readable": len(readable),
        "upload_window": [min(r.upload_time for r in present), max(r.upload_time for r in present)],
        "models": {},
    }
    for spec in args.model or ["default"]:
        label, scorer = _scorer(spec)
        scores = scorer.score(features)
        flagged = []
        for sample, package, score in zip(readable, features, scores, strict=True):
            if score >= scorer.threshold:
                reasons = scorer.explain(package, top=3)
                flagged.append(
                    {
                        "name": sample.name,
                        "version": sample.version,
                        "uploaded": sample.date,
                        "score": round(float(score), 4),
                        "reasons": [c.feature for c in reasons],
                    }
                )
        flagged.sort(key=lambda f: -f["score"])
        results["models"][label] = {
            "scorer": scorer.name,
            "threshold": round(float(scorer.threshold), 4),
            "flagged": len(flagged),
            "flag_rate": round(len(flagged) / len(readable), 5) if readable else None,
            "flagged_packages": flagged,
        }
        print(f"{label}: {len(flagged)} of {len(readable)} flagged", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
