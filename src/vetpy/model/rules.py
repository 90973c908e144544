"""A transparent weighted rule set over the registry's feature values: the fallback scorer.

Each feature value is squashed to [0, 1] (counts and flags become presence; entropy is rescaled), multiplied
by a hand-set weight, summed with a negative bias and passed through the logistic function. The weights are
plain data so a reviewer can read exactly why a package scored what it did.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from vetpy.features.interface import PackageFeatures
from vetpy.features.registry import BY_ID
from vetpy.model.interface import Contribution

#: Weight per registry feature id; features not listed do not count (e.g. package size).
DEFAULT_WEIGHTS: Mapping[str, float] = {
    # install-time execution: where most PyPI malware runs
    "paper.install_hook": 1.5,
    "install.cmdclass": 2.0,
    "install.setup_suspicious": 2.5,
    "install.setup_code": 0.5,
    "install.pth_exec": 2.5,
    "install.init_suspicious": 1.5,
    "install.entry_point_payload": 1.0,
    "install.import_time_payload": 1.0,
    # dynamic code and decoding
    "code.decode_exec": 3.0,
    "code.exec_eval": 1.0,
    "code.compile": 0.3,
    "code.dunder_import": 0.5,
    "code.dynamic_getattr": 0.2,
    "code.base64": 0.7,
    "code.marshal_zlib": 0.7,
    # processes and network
    "code.subprocess": 0.5,
    "code.os_system": 0.8,
    "code.reverse_shell": 3.0,
    "code.socket": 0.4,
    "code.http": 0.5,
    "code.raw_ip": 1.0,
    "code.webhook": 2.5,
    "code.paste_site": 1.5,
    "code.unusual_host": 0.5,
    "code.download_exec": 2.5,
    "code.decoded_sink": 1.5,
    "code.exfil_flow": 2.0,
    "paper.suspicious_url": 0.7,
    # data access
    "code.credential_read": 2.0,
    "code.env_access": 0.4,
    "code.startup_write": 2.0,
    "code.system_info": 0.5,
    "code.ctypes_win": 0.3,
    # obfuscation
    "code.obfuscator": 2.0,
    "code.high_entropy_strings": 0.5,
    "code.hex_chr_chains": 0.8,
    "code.long_lines": 0.3,
    "code.max_entropy": 0.5,
    "paper.long_string": 0.1,
    "code.parse_error": 0.3,
    # archive shape and metadata (weak on their own: many benign uploads are sloppy)
    "archive.limit_hit": 2.0,
    "archive.path_tricks": 1.5,
    "archive.binary_files": 0.8,
    "archive.nested_archives": 0.5,
    "paper.homepage_invalid": 0.3,
    "paper.author_email_invalid": 0.3,
    "paper.minimal_setup_cfg": 0.2,
    "paper.license_mismatch": 0.8,
    "meta.missing_pkg_info": 0.3,
    "meta.no_license": 0.2,
    "meta.no_author": 0.2,
    "meta.odd_version": 0.7,
    "meta.typosquat": 1.2,
}

#: Features deliberately left out of the rule score, each with the reason (every registry feature is in
#: exactly one of DEFAULT_WEIGHTS and UNWEIGHTED: tests/features/test_detectors.py checks it).
UNWEIGHTED: Mapping[str, str] = {
    "archive.log_files": "size is context for the trained model, not evidence on its own",
    "archive.log_py_files": "size is context for the trained model, not evidence on its own",
    "archive.log_py_bytes": "size is context for the trained model, not evidence on its own",
    "archive.no_python": "data-only and native-only packages are common and benign",
    "meta.log_description": "size is context for the trained model, not evidence on its own",
    "meta.typosquat_similarity": "meta.typosquat carries the decision; the similarity is model context",
    "code.max_file_behaviours": "a concentration measure that repeats the weighted behaviours it counts",
    "install.running_file_behaviours": "a concentration measure repeating the weighted behaviours it counts",
    "code.long_strings": "paper.long_string and code.high_entropy_strings already weigh literals",
    "code.parse_error_ratio": "code.parse_error carries the decision; the share is model context",
}

DEFAULT_BIAS = -4.0

#: Capabilities every library has (reading the environment or a netrc, running a process, calling HTTP,
#: importing by name): alone they describe what a package *can* do. They count in full only when the
#: package also runs code by itself (RUNS_ITSELF) or shows the shape of a payload (PAYLOAD_SHAPE); in code
#: that waits to be called, with neither, they count at CALL_TIME_FACTOR of their weight. This is what
#: kept `requests` (netrc reading, an `exec` of its own version file in setup.py, environment proxies,
#: importlib) over the threshold (issue 18): capabilities, no behaviour.
CAPABILITIES = frozenset(
    {
        "code.exec_eval",
        "code.compile",
        "code.dunder_import",
        "code.dynamic_getattr",
        "code.base64",
        "code.marshal_zlib",
        "code.subprocess",
        "code.os_system",
        "code.socket",
        "code.http",
        "code.credential_read",
        "code.env_access",
        "code.system_info",
        "code.ctypes_win",
    }
)
RUNS_ITSELF = frozenset(
    {"install.setup_suspicious", "install.pth_exec", "install.init_suspicious", "install.import_time_payload"}
)
PAYLOAD_SHAPE = frozenset(
    {
        "code.decode_exec",
        "code.download_exec",
        "code.decoded_sink",
        "code.exfil_flow",
        "code.reverse_shell",
        "code.webhook",
        "code.paste_site",
        "code.raw_ip",
        "code.obfuscator",
        "code.startup_write",
    }
)
CALL_TIME_FACTOR = 0.25

# Shannon entropy (bits/char) of ordinary text vs. packed data: rescaled to [0, 1] between these.
_ENTROPY_LOW, _ENTROPY_HIGH = 4.5, 6.0


def _squash(feature: str, value: float) -> float:
    """A feature value mapped to [0, 1]: presence for counts/flags, a rescale for entropy."""
    if not math.isfinite(value):
        return 0.0
    if feature == "code.max_entropy":
        value = (value - _ENTROPY_LOW) / (_ENTROPY_HIGH - _ENTROPY_LOW)
    return min(max(value, 0.0), 1.0)


def _logistic(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


class RuleScorer:
    """The Scorer protocol over a fixed weight table: ``logistic(bias + sum(weight * squash(value)))``."""

    name = "rules"

    def __init__(
        self,
        weights: Mapping[str, float] | None = None,
        bias: float = DEFAULT_BIAS,
        threshold: float = 0.5,
    ) -> None:
        self.weights: dict[str, float] = dict(DEFAULT_WEIGHTS if weights is None else weights)
        unknown = sorted(set(self.weights) - set(BY_ID))
        if unknown:
            raise ValueError(f"rule weights name unknown features: {', '.join(unknown)}")
        self.bias = bias
        self.threshold = threshold

    def _terms(self, package: PackageFeatures) -> dict[str, float]:
        values = package.values
        acts = any(float(values.get(f, 0.0)) > 0 for f in RUNS_ITSELF | PAYLOAD_SHAPE)
        return {
            feature: weight
            * _squash(feature, float(values.get(feature, 0.0)))
            * (1.0 if acts or feature not in CAPABILITIES else CALL_TIME_FACTOR)
            for feature, weight in self.weights.items()
        }

    def score(self, packages: Sequence[PackageFeatures]) -> list[float]:
        return [_logistic(self.bias + sum(self._terms(p).values())) for p in packages]

    def explain(self, package: PackageFeatures, top: int = 5) -> list[Contribution]:
        terms = [(f, w) for f, w in self._terms(package).items() if w > 0]
        terms.sort(key=lambda item: (-item[1], item[0]))
        return [Contribution(feature=f, weight=w) for f, w in terms[:top]]
