"""Frozen per-file facts that the detectors read, and the builder the source pass fills."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from vetpy.features.urls import UrlHit

MAX_EXAMPLES = 5
MAX_TOKENS_PER_FILE = 400


@dataclass(frozen=True)
class Hit:
    """One place a signal fired; ``strong`` False marks benign-leaning forms (exec of a local file)."""

    feature: str
    line: int
    message: str
    snippet: str
    strong: bool = True


@dataclass(frozen=True)
class FileFacts:
    """What one Python file holds, as signals per feature id.

    ``counts`` counts every hit, ``strong`` only the strong ones, ``module_level`` the strong ones at module
    level; ``examples`` keeps the first hits per feature for evidence; ``import_time`` the first hit per
    active feature that runs when the module is imported (directly or through its own functions).
    """

    path: str
    parsed: bool
    error: str | None
    counts: Mapping[str, int]
    strong: Mapping[str, int]
    module_level: Mapping[str, int]
    examples: Mapping[str, tuple[Hit, ...]]
    tokens: tuple[str, ...]
    urls: tuple[tuple[int, UrlHit], ...]
    entry_modules: tuple[str, ...]
    max_entropy: float
    import_time: Mapping[str, Hit]

    def has_strong(self, feature: str) -> bool:
        return self.strong.get(feature, 0) > 0

    def has_module_level(self, feature: str) -> bool:
        return self.module_level.get(feature, 0) > 0

    @property
    def suspicious_url(self) -> bool:
        return any(h.suspicious for _, h in self.urls)


@dataclass
class FactsBuilder:
    """Mutable accumulator used while one file is scanned; :meth:`freeze` gives its :class:`FileFacts`."""

    path: str
    parsed: bool = True
    error: str | None = None
    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[Hit]] = field(default_factory=dict)
    module_level: Counter[str] = field(default_factory=Counter)
    strong: Counter[str] = field(default_factory=Counter)
    tokens: dict[str, None] = field(default_factory=dict)
    urls: list[tuple[int, UrlHit]] = field(default_factory=list)
    entry_modules: list[str] = field(default_factory=list)
    max_entropy: float = 0.0
    pending_strings: list[tuple[str, int, bool]] = field(default_factory=list)
    programs: list[tuple[str, int, bool]] = field(default_factory=list)  # Python in strings (embedded.py)
    import_time: dict[str, Hit] = field(default_factory=dict)

    def add(self, hit: Hit, module_level: bool = False) -> None:
        self.counts[hit.feature] += 1
        if hit.strong:
            self.strong[hit.feature] += 1
            if module_level:
                self.module_level[hit.feature] += 1
        ex = self.examples.setdefault(hit.feature, [])
        if len(ex) < MAX_EXAMPLES:
            ex.append(hit)

    def add_strong(self, feature: str, make: Callable[[], Hit]) -> None:
        """:meth:`add` of the strong, not module-level hit ``make()`` makes, made only while ``feature`` has
        fewer than MAX_EXAMPLES examples (past that a hit only counts: the same counts and examples)."""
        if len(self.examples.get(feature, ())) < MAX_EXAMPLES:
            self.add(make())
        else:
            self.counts[feature] += 1
            self.strong[feature] += 1

    def token(self, tok: str) -> None:
        if len(self.tokens) < MAX_TOKENS_PER_FILE:
            self.tokens[tok[:80]] = None

    def freeze(self) -> FileFacts:
        return FileFacts(
            path=self.path,
            parsed=self.parsed,
            error=self.error,
            counts=dict(self.counts),
            strong=dict(self.strong),
            module_level=dict(self.module_level),
            examples={f: tuple(hits) for f, hits in self.examples.items()},
            tokens=tuple(self.tokens),
            urls=tuple(self.urls),
            entry_modules=tuple(self.entry_modules),
            max_entropy=self.max_entropy,
            import_time=dict(self.import_time),
        )
