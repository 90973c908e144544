"""Real malicious archives, read only as bytes in memory, give code signals (skipped without the corpus)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from vetpy.errors import VetpyError
from vetpy.features.extract import extract_features
from vetpy.lab.dataset.paths import data_dir

CODE_SIGNALS = (
    "paper.install_hook",
    "paper.suspicious_url",
    "install.cmdclass",
    "install.setup_suspicious",
    "install.init_suspicious",
    "install.pth_exec",
    "code.exec_eval",
    "code.decode_exec",
    "code.subprocess",
    "code.os_system",
    "code.socket",
    "code.http",
    "code.download_exec",
    "code.credential_read",
    "code.base64",
    "code.reverse_shell",
    "code.webhook",
    "code.raw_ip",
    "code.obfuscator",
)


def _malicious_root() -> Path:
    try:
        root = data_dir() / "malicious"
    except VetpyError:
        pytest.skip("development data not available")
    if not (root / "manifest.csv").is_file():
        pytest.skip("malicious corpus not available")
    return root


def test_fixed_sample_of_real_malware_has_code_signals() -> None:
    from featurepkgs import archive_from_bytes

    root = _malicious_root()
    with (root / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: r["file"])
    sample = random.Random(20).sample(rows, 20)
    hits = 0
    for row in sample:
        data = (root / row["file"]).read_bytes()
        try:
            from vetpy.acquire.archive import open_archive

            archive = open_archive(data, target=row["file"], filename=Path(row["file"]).name)
        except ImportError:  # pragma: no cover - acquire stage not present
            archive = archive_from_bytes(data, Path(row["file"]).name)
        features = extract_features(archive)
        assert features.name
        if any(features.values[f] > 0 for f in CODE_SIGNALS):
            hits += 1
    assert hits >= 16, f"only {hits}/20 malicious samples gave a code signal"
