"""The one place where signals become feature values, by each spec's :class:`ValueKind`, with evidence.

Detectors report signals (``fire``: it happened here; ``count``: this many; ``measure``: this number) and
notes (evidence only); :meth:`Collector.finish` turns them into one value per registry feature, keeps the
evidence of the features that ended up non-zero, and assembles the two text streams.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from vetpy.features import strings as st
from vetpy.features.interface import Evidence, PackageFeatures, ValueKind
from vetpy.features.registry import BY_ID, FEATURE_IDS
from vetpy.features.source.beacon import BEACON_TOKEN, DNS_TOKEN
from vetpy.features.source.clipboard import CLIPBOARD_TOKEN
from vetpy.features.source.custody import CUSTODY_TOKEN
from vetpy.features.source.facts import FileFacts
from vetpy.features.source.hidden import HIDDEN_TOKEN
from vetpy.features.source.persistence import PAYLOAD_TOKEN, PERSIST_TOKEN
from vetpy.features.source.upload import UPLOAD_TOKEN

MAX_EVIDENCE_PER_FEATURE = 5
#: Tokens with no registry feature whose evidence is kept all the same: hard findings read it (policy.py).
EVIDENCE_TOKENS = (
    CUSTODY_TOKEN,
    BEACON_TOKEN,
    DNS_TOKEN,
    CLIPBOARD_TOKEN,
    PERSIST_TOKEN,
    PAYLOAD_TOKEN,
    HIDDEN_TOKEN,
    UPLOAD_TOKEN,
)
MAX_TEXT_CHARS = 400_000
MAX_CODE_TOKENS = 20_000


@dataclass
class Collector:
    """Accumulates signals, evidence and text while the detectors run over one package."""

    fired: set[str] = field(default_factory=set)
    counts: dict[str, float] = field(default_factory=dict)
    measures: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)
    profile: list[str] = field(default_factory=list)
    susp: list[str] = field(default_factory=list)
    susp_chars: int = 0

    def fire(
        self,
        feature: str,
        message: str,
        file: str | None = None,
        line: int | None = None,
        snippet: str = "",
        value: float = 1.0,
    ) -> None:
        """A signal with its evidence: a flag fires, a maximum takes ``value`` into account."""
        if BY_ID[feature].kind is ValueKind.MAX:
            self.measure(feature, value)
        else:
            self.fired.add(feature)
        self.note(feature, message, file, line, snippet)

    def count(self, feature: str, n: float) -> None:
        """Add ``n`` occurrences (or bytes, characters) to a feature; a flag fires when ``n`` > 0."""
        self.counts[feature] = self.counts.get(feature, 0.0) + n

    def measure(self, feature: str, value: float) -> None:
        """A measured number: a maximum keeps the largest, a score the latest."""
        if BY_ID[feature].kind is ValueKind.MAX:
            self.measures[feature] = max(self.measures.get(feature, 0.0), value)
        else:
            self.measures[feature] = value

    def note(
        self, feature: str, message: str, file: str | None = None, line: int | None = None, snippet: str = ""
    ) -> None:
        """Evidence for a feature (kept only if the feature's value ends up non-zero)."""
        items = self.evidence.setdefault(feature, [])
        if len(items) < MAX_EVIDENCE_PER_FEATURE:
            items.append(Evidence(feature, message[:200], file, line, st.snippet(snippet)))

    def add_text(self, lines: Iterable[str]) -> None:
        """Lines of the paper's suspicious-lines text (capped)."""
        for line in lines:
            if self.susp_chars > MAX_TEXT_CHARS:
                return
            self.susp.append(line)
            self.susp_chars += len(line) + 1

    def token(self, tok: str) -> None:
        if len(self.tokens) < MAX_CODE_TOKENS:
            self.tokens.append(tok)

    def add_file(self, facts: FileFacts) -> None:
        """The source pass's signals of one Python file: counts, evidence, tokens and entropy."""
        for feature, n in facts.counts.items():
            self.count(feature, n)
        for feature, hits in facts.examples.items():
            for hit in hits:
                self.note(feature, hit.message, facts.path, hit.line, hit.snippet)
        self.tokens.extend(facts.tokens)  # per-file tokens are capped by the source pass
        self.measure("code.max_entropy", round(facts.max_entropy, 4))

    def value(self, feature: str) -> float:
        """The value of one feature by its spec's kind."""
        kind = BY_ID[feature].kind
        if kind is ValueKind.FLAG:
            return 1.0 if feature in self.fired or self.counts.get(feature, 0.0) > 0 else 0.0
        if kind is ValueKind.LOG_COUNT:
            return math.log1p(self.counts.get(feature, 0.0))
        if kind is ValueKind.MAX:
            return max(0.0, self.measures.get(feature, 0.0))
        return self.measures.get(feature, 0.0)

    def finish(self, name: str | None, version: str | None) -> PackageFeatures:
        """One value per registry feature, the evidence of non-zero features in registry order, texts."""
        values = {f: float(self.value(f)) for f in FEATURE_IDS}
        evidence = tuple(e for f in FEATURE_IDS if values[f] > 0.0 for e in self.evidence.get(f, ()))
        evidence += tuple(e for f in EVIDENCE_TOKENS for e in self.evidence.get(f, ()))
        return PackageFeatures(
            name=name,
            version=version,
            values=values,
            suspicious_text=self.suspicious_text,
            code_text=" ".join((self.profile + self.tokens)[:MAX_CODE_TOKENS]),
            evidence=evidence,
        )

    @property
    def suspicious_text(self) -> str:
        return "\n".join(self.susp)
