"""Behaviour concentration: how many distinct behaviours (process, network, decoding, credential paths,
...) the busiest file holds, overall and among files that run at install or import time. A payload
concentrates them in one file, where a large benign package spreads them out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vetpy.features.calls import BEHAVIOUR_KINDS
from vetpy.features.interface import Family, ValueKind, spec

if TYPE_CHECKING:
    from vetpy.features.collect import Collector
    from vetpy.features.gather import PackageFacts
    from vetpy.features.source.facts import FileFacts

SPECS = (
    spec(
        "code.max_file_behaviours",
        Family.BEHAVIOURS,
        ValueKind.MAX,
        "most distinct behaviours (process, network, decoding, credential paths, ...) in one Python file",
        "a payload packs several behaviours into one file; benign code spreads them across many",
    ),
    spec(
        "install.running_file_behaviours",
        Family.BEHAVIOURS,
        ValueKind.MAX,
        "most distinct behaviours in one file that runs at install or import time",
        "the same concentration, where it matters most: code that runs without being called",
    ),
)

URL_BEHAVIOURS = frozenset({"code.raw_ip", "code.webhook", "code.paste_site"})


def behaviours(f: FileFacts) -> set[str]:
    """The behaviour kinds one file shows (strong call signals plus URL categories)."""
    kinds = {k for k in BEHAVIOUR_KINDS if f.has_strong(k)}
    for _, hit in f.urls:
        kinds.update(URL_BEHAVIOURS.intersection(hit.features()))
    return kinds


def behaviour_profile(per_file: list[list[str]], running: list[list[str]]) -> list[str]:
    """Tokens for which behaviours share a file (``pair:http+subprocess``) and which behaviours run at
    install or import time (``run:http``), whichever file that is: a setup.py payload and a module-level
    payload give the same tokens, so what is learnt from one carries over to the other."""
    pairs: set[str] = set()
    for kinds in {tuple(kinds) for kinds in per_file}:  # many files share one set of kinds
        short = sorted({k.split(".", 1)[1] for k in kinds})
        pairs.update(f"pair:{a}+{b}" for i, a in enumerate(short) for b in short[i + 1 :])
    run = {f"run:{k.split('.', 1)[1]}" for kinds in running for k in kinds}
    return sorted(pairs) + sorted(run)


def detect(facts: PackageFacts, out: Collector) -> None:
    per_file = [(f, sorted(behaviours(f))) for f in facts.files]
    running = [
        (f, kinds)
        for f, kinds in per_file
        if f.path == facts.setup or f.import_time or f.path.endswith(".pth")
    ]
    out.profile.extend(behaviour_profile([kinds for _, kinds in per_file], [kinds for _, kinds in running]))
    for feature, files in (
        ("code.max_file_behaviours", per_file),
        ("install.running_file_behaviours", running),
    ):
        busiest, kinds = max(files, key=lambda pair: len(pair[1]), default=(None, []))
        if busiest is not None and kinds:
            names = ", ".join(k.split(".", 1)[1] for k in kinds)
            first = min(
                (h for k in kinds for h in busiest.examples.get(k, ()) if h.line),
                key=lambda h: h.line,
                default=None,
            )  # evidence at the first line where one of the behaviours shows (file:line, not just a file)
            out.fire(
                feature,
                f"{len(kinds)} behaviours in one file: {names}",
                busiest.path,
                first.line if first else None,
                first.snippet if first else "",
                value=float(len(kinds)),
            )
