"""Training-data augmentation: "relocated" copies of install-time malware.

Older malware runs its payload from setup.py; newer families run it when a module is imported. A
relocated copy is a training malware whose setup.py payload is presented as running on import instead
(the setup.py-only signals off, the import-time signal on), so the model learns the behaviours rather
than their location. Used by the ``default-relocated`` ablation (MODEL_CARD.md)."""

from __future__ import annotations

from dataclasses import replace

from vetpy.features.interface import PackageFeatures

SETUP_ONLY_FEATURES = (
    "install.setup_suspicious",
    "install.cmdclass",
    "install.setup_code",
    "paper.install_hook",
)


def has_setup_payload(package: PackageFeatures) -> bool:
    return package.values.get("install.setup_suspicious", 0.0) > 0.0


def relocate(package: PackageFeatures) -> PackageFeatures:
    """``package`` as if its setup.py payload ran when a module is imported."""
    values = dict(package.values)
    values.update(dict.fromkeys(SETUP_ONLY_FEATURES, 0.0))
    values["install.import_time_payload"] = 1.0
    tokens = [t for t in package.code_text.split() if not t.startswith("setup:")]
    return replace(package, values=values, code_text=" ".join(tokens))
