"""Known-malicious lookup: ask OSV (the open vulnerability database) whether a release is known malware.

A hit is an advisory id (OSV's malicious-packages ids start with ``MAL-``); it fills a result's
``known_malicious`` and makes its verdict malicious, apart from the model's score. The lookup is
offline-safe: an unreachable or slow service is a note on the result, never a failure.
"""

from vetpy.osv.client import DEFAULT_OSV_URL, OsvClient, OsvUnavailable
from vetpy.osv.lookup import KnownMaliciousLookup, apply_known_malicious, lookup_from_options

__all__ = [
    "DEFAULT_OSV_URL",
    "KnownMaliciousLookup",
    "OsvClient",
    "OsvUnavailable",
    "apply_known_malicious",
    "lookup_from_options",
]
