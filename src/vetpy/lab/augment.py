"""Training-data augmentation: the same malware behaviours shown in other places of a package.

Most training malware (older families) runs its payload from setup.py at install time; newer families run
it when a module is imported, or hide it in a function the victim's code calls later. A model trained on
the corpus as it is learns "setup.py does something" more than "the code does something malicious". Two
kinds of copies of training malware teach it the behaviours rather than their location:

- a *relocated* copy of a setup.py payload presents it as running on import (setup.py-only signals off,
  the import-time signal and token on);
- a *dormant* copy of any payload that runs at install or import time presents it as code that never runs
  by itself (every install/import-time signal and location token off; behaviours, strings, flows and
  their pairs kept).

A third kind, the *disguised* copy, answers the newer malware that comes inside a real-looking project
(a copy of a real library with a file added, a real README and metadata): the malware's behaviours planted
in a benign training project, with that project's size and metadata, the larger of each behaviour value
and both token bags. It teaches that a well-packaged project carrying a payload is still malware.

Copies are made of training rows only, never of test rows, and stay in their original's group so they
sit on the same side of every internal fold. Which kinds use which copies: ``pipelines.augmentations``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from vetpy.features.interface import PackageFeatures

RELOCATE = "relocate"
DORMANT = "dormant"
DISGUISE = "disguise"
#: Variants of the disguised copy for the selection check: only the host's code (the malware keeps its own
#: size and metadata), or the full disguise for a seeded half of the training malware.
DISGUISE_CODE = "disguise-code"
DISGUISE_HALF = "disguise-half"
#: The full disguise, but the copy keeps what its own *name* says (the typosquat features): an attacker who
#: copies a real project still publishes it under a name of their choosing, often one like a popular one.
DISGUISE_NAMED = "disguise-named"
DISGUISE_KINDS = (DISGUISE, DISGUISE_CODE, DISGUISE_HALF, DISGUISE_NAMED)
NAME_FEATURES = ("meta.typosquat_similarity", "meta.typosquat")

#: What a project's packaging decides, not its code: a disguised copy takes these from its host.
HOST_FEATURES = (
    "archive.log_files",
    "archive.log_py_files",
    "archive.log_py_bytes",
    "archive.no_python",
    "meta.missing_pkg_info",
    "meta.log_description",
    "meta.no_license",
    "meta.no_author",
    "meta.odd_version",
    "meta.typosquat_similarity",
    "meta.typosquat",
    "paper.homepage_invalid",
    "paper.author_email_invalid",
    "paper.minimal_setup_cfg",
    "paper.license_mismatch",
)
HOST_TOKEN_PREFIXES = ("meta:",)

SETUP_ONLY_FEATURES = (
    "install.setup_suspicious",
    "install.cmdclass",
    "install.setup_code",
    "paper.install_hook",
)
#: Every signal that says "this runs at install or import time, by itself".
RUNNING_FEATURES = (
    *SETUP_ONLY_FEATURES,
    "install.pth_exec",
    "install.init_suspicious",
    "install.entry_point_payload",
    "install.import_time_payload",
    "install.running_file_behaviours",
)
#: Code tokens that name where a payload runs (``run:k``: kind k in a file that runs on install/import).
LOCATION_TOKEN_PREFIXES = ("setup:", "init:", "entry:", "run:")
IMPORT_PAYLOAD_TOKEN = "import:payload"


def has_setup_payload(package: PackageFeatures) -> bool:
    return package.values.get("install.setup_suspicious", 0.0) > 0.0


def has_running_payload(package: PackageFeatures) -> bool:
    return package.values.get("install.running_file_behaviours", 0.0) > 0.0


def relocate(package: PackageFeatures) -> PackageFeatures:
    """``package`` as if its setup.py payload ran when a module is imported."""
    values = dict(package.values)
    values.update(dict.fromkeys(SETUP_ONLY_FEATURES, 0.0))
    values["install.import_time_payload"] = 1.0
    tokens = [t for t in package.code_text.split() if not t.startswith("setup:")]
    if IMPORT_PAYLOAD_TOKEN not in tokens:
        tokens.append(IMPORT_PAYLOAD_TOKEN)
    return replace(package, values=values, code_text=" ".join(tokens))


def dormant(package: PackageFeatures) -> PackageFeatures:
    """``package`` as if its payload sat in code that nothing runs at install or import time."""
    values = dict(package.values)
    values.update(dict.fromkeys(RUNNING_FEATURES, 0.0))
    tokens = [
        t
        for t in package.code_text.split()
        if not t.startswith(LOCATION_TOKEN_PREFIXES) and t != IMPORT_PAYLOAD_TOKEN
    ]
    return replace(package, values=values, code_text=" ".join(tokens))


def disguised(
    package: PackageFeatures, host: PackageFeatures, packaging: bool = True, own_name: bool = False
) -> PackageFeatures:
    """``package``'s payload planted in the benign project ``host``: the larger of the two for every value,
    both code-token bags and, with ``packaging``, the host's packaging and metadata values and ``meta:``
    tokens (without it, the malware keeps its own: only the host's code is added); with ``own_name``, the
    malware keeps its name's typosquat values."""
    values = {k: max(v, host.values.get(k, 0.0)) for k, v in package.values.items()}
    for k, v in host.values.items():
        values.setdefault(k, v)
    source = host if packaging else package
    for k in HOST_FEATURES:
        values[k] = source.values.get(k, 0.0)
    for k in NAME_FEATURES if own_name else ():
        values[k] = package.values.get(k, 0.0)
    own = package.code_text.split()
    other = host.code_text.split()
    if packaging:
        own = [t for t in own if not t.startswith(HOST_TOKEN_PREFIXES)]
    else:
        other = [t for t in other if not t.startswith(HOST_TOKEN_PREFIXES)]
    tokens = dict.fromkeys([*own, *other])
    return replace(package, values=values, code_text=" ".join(tokens))


def copies(package: PackageFeatures, kinds: Sequence[str]) -> list[PackageFeatures]:
    """The augmented copies of one training malware, for the augmentation ``kinds`` a model uses."""
    out = []
    if RELOCATE in kinds and has_setup_payload(package):
        out.append(relocate(package))
    if DORMANT in kinds and has_running_payload(package):
        out.append(dormant(package))
    return out
