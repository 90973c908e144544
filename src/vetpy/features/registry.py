"""The closed, ordered registry of numeric features, assembled from the family modules' specs.

Its ids and order define the schema hash that a saved model is checked against: change them and old models
are refused. The order is the families' order below, then each family's own order of specs.
"""

from __future__ import annotations

import hashlib

from vetpy.features import (
    archive,
    behaviours,
    data_access,
    dynamic,
    install,
    metadata,
    network,
    obfuscation,
    paper,
)
from vetpy.features.interface import FeatureSpec

SCHEMA_VERSION = 1

#: The detector families in schema order (one module each, holding its specs beside its logic).
FAMILIES = (paper, archive, metadata, install, dynamic, network, behaviours, data_access, obfuscation)

FEATURES: tuple[FeatureSpec, ...] = tuple(s for family in FAMILIES for s in family.SPECS)
FEATURE_IDS: tuple[str, ...] = tuple(f.id for f in FEATURES)
PAPER_FEATURE_IDS: tuple[str, ...] = tuple(f.id for f in FEATURES if f.paper)
BY_ID: dict[str, FeatureSpec] = {f.id: f for f in FEATURES}


def schema_hash() -> str:
    """A short hash of the registry (ids, order, schema version) that saved models record."""
    text = f"{SCHEMA_VERSION}\n" + "\n".join(FEATURE_IDS)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def signal(feature: str) -> str:
    """The short message a source-code hit of ``feature`` carries."""
    found = BY_ID.get(feature)
    return found.signal if found is not None and found.signal else feature
