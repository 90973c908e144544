"""What reading Python inside strings (features/source/embedded.py) changes on a corpus sample.

Each archive is read as bytes, in memory, and extracted twice in one process: as it is, and with the
embedded pass turned off (``scan_programs`` replaced by a no-op, which is exactly the extractor before it:
the strings' programs are only noted until then). Per archive: the ``embedded:*`` tokens, which features
changed, which strong signals were gained (zero before, non-zero after), their evidence, and the bundled
model's score on both sides.

    python benchmarks/embedded_check.py --data ../shared/data --benign 500 --malicious 1000 \
        --out /tmp/embedded.jsonl --jobs 2
    python benchmarks/embedded_check.py --summary /tmp/embedded.jsonl

``--benign N`` samples N releases of each benign list. Nothing but names, counts and evidence messages
is written.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import random
from collections import Counter
from pathlib import Path
from typing import Any

import vetpy.features.source.scan as scan_module
from vetpy.acquire.archive import open_archive
from vetpy.features.extract import extract_features
from vetpy.features.interface import PackageFeatures
from vetpy.features.source.embedded import CARRIED, scan_programs
from vetpy.lab.dataset.corpus import BENIGN_LISTS, benign_samples
from vetpy.model.loader import load_default_scorer

LISTS = BENIGN_LISTS


def _features(data: bytes, name: str, embedded: bool) -> PackageFeatures:
    scan_module.scan_programs = scan_programs if embedded else (lambda scan, lines: scan.programs.clear())
    return extract_features(open_archive(data, target=name, filename=name))


def check(item: tuple[str, str]) -> dict[str, Any]:
    group, path = item
    name = Path(path).name
    try:
        data = Path(path).read_bytes()
        new = _features(data, name, True)
    except Exception as exc:  # an unreadable archive is reported, not fatal
        return {"group": group, "name": name, "error": repr(exc)[:200]}
    tokens = sorted({t for t in new.code_text.split() if t.startswith("embedded:")})
    row: dict[str, Any] = {"group": group, "name": name, "tokens": tokens}
    if tokens:
        old = _features(data, name, False)
        scorer = load_default_scorer()
        row["changed"] = [f for f in new.values if new.values[f] != old.values[f]]
        row["gained"] = [f for f in CARRIED if new.values[f] > 0 and old.values[f] == 0]
        row["evidence"] = [
            (e.feature, e.file, e.line, e.message)
            for e in new.evidence
            if e.message.startswith("Python in a string")
        ]
        row["scores"] = scorer.score([old, new])
    return row


def _items(data: Path, benign: int, malicious: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    items = []
    for list_name in LISTS:
        samples = benign_samples(data, list_name=list_name)
        items += [(list_name, str(s.path)) for s in rng.sample(samples, min(benign, len(samples)))]
    with (data / "malicious" / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    items += [("malicious", str(data / "malicious" / r["file"])) for r in rng.sample(rows, malicious)]
    return items


def summary(path: Path) -> None:
    rows = [json.loads(line) for line in path.open()]
    total, fired, gained, errors = Counter[str](), Counter[str](), Counter[str](), Counter[str]()
    for row in rows:
        total[row["group"]] += 1
        errors[row["group"]] += "error" in row
        fired[row["group"]] += "embedded:python" in row.get("tokens", ())
        gained[row["group"]] += bool(row.get("gained"))
    for group in total:
        print(
            f"{group}: {total[group]} archives ({errors[group]} unreadable), embedded:python on "
            f"{fired[group]}, a strong signal gained on {gained[group]}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--benign", type=int, default=500)
    parser.add_argument("--malicious", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--summary", type=Path)
    args = parser.parse_args()
    if args.summary:
        summary(args.summary)
        return
    items = _items(args.data, args.benign, args.malicious, args.seed)
    context = multiprocessing.get_context("fork")
    with context.Pool(args.jobs, maxtasksperchild=50) as pool, args.out.open("w") as out:
        for row in pool.imap_unordered(check, items, chunksize=4):
            out.write(json.dumps(row) + "\n")
    summary(args.out)


if __name__ == "__main__":
    main()
