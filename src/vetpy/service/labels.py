"""Triage labels as training samples: what ``vetpy train --labels`` adds to the development corpus.

A source is the service's database (a SQLite file or a ``postgresql://`` URL; its uploads are read from
``<db>-uploads`` unless told otherwise) or a JSON-lines file of ``{"path", "label", "name"?, "version"?}``.
Only labels whose archive is on disk can be used (a scan fetched from the index keeps no copy); the others
are counted and reported. A label is a person's decision and replaces the corpus's label for the same
archive (same sha256).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from vetpy.errors import VetpyError
from vetpy.lab.dataset.corpus import BENIGN, MALICIOUS, Sample
from vetpy.service.store import Label, Labelled, open_store

_VALUES = {Label.MALICIOUS: MALICIOUS, Label.BENIGN: BENIGN}


@dataclass(frozen=True)
class LabelledSamples:
    samples: list[Sample]
    without_archive: int  # labels whose archive the service did not keep


def _is_database(source: str) -> bool:
    return source.startswith(("postgresql://", "postgres://")) or not source.endswith((".jsonl", ".json"))


def default_uploads(source: str) -> Path:
    """Where ``vetpy serve --db source`` keeps uploads by default."""
    base = Path("vetpy-serve") if source.startswith(("postgresql://", "postgres://")) else Path(source)
    return base.with_name(base.name + "-uploads")


def _sample(item: Labelled) -> Sample:
    assert item.path is not None and item.sha256 is not None
    day = dt.datetime.fromtimestamp(item.labelled_at, dt.UTC).strftime("%Y-%m-%d")
    return Sample(
        label=_VALUES[item.label],
        path=item.path,
        sha256=item.sha256,
        name=item.name or item.sha256[:12],
        version=item.version or "0",
        date=day,
        source=f"triage-{item.label.value}",
    )


def _from_jsonl(path: Path) -> list[Labelled]:
    items = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise VetpyError(f"{path}: cannot read labels ({type(exc).__name__})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            archive = (path.parent / row["path"]).resolve()
            label = Label(row["label"])
        except (ValueError, KeyError, TypeError):
            raise VetpyError(f"{path}:{number}: need {{'path', 'label': 'malicious'|'benign'}}") from None
        sha256 = hashlib.sha256(archive.read_bytes()).hexdigest() if archive.is_file() else None
        items.append(
            Labelled(sha256, label, row.get("name"), row.get("version"), archive if sha256 else None, 0.0)
        )
    return items


def labelled_samples(source: str, uploads: Path | None = None) -> LabelledSamples:
    """The usable labels in ``source`` as corpus samples (see the module docstring)."""
    if _is_database(source):
        if not source.startswith(("postgresql://", "postgres://")) and not Path(source).is_file():
            raise VetpyError(f"{source}: no such labels database")
        store = open_store(source)
        try:
            items = store.labelled(uploads or default_uploads(source))
        finally:
            store.close()
    else:
        items = _from_jsonl(Path(source))
    usable = [item for item in items if item.path is not None and item.sha256]
    return LabelledSamples([_sample(item) for item in usable], len(items) - len(usable))
