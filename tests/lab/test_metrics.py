"""The scan path's metrics: the model's verdicts or a hard finding from the features."""

from __future__ import annotations

import numpy as np

from vetpy.lab.metrics import scan_path_line, scan_path_metrics


def test_scan_path_flags_the_model_or_a_finding_and_counts_what_findings_alone_decided() -> None:
    y = np.array([1, 1, 1, 0, 0, 0])
    by_model = np.array([True, False, False, True, False, False])
    findings = np.array([False, True, False, False, True, False])
    m = scan_path_metrics(y, by_model, findings)
    assert m["malicious_recall"] == 2 / 3 and m["malicious_precision"] == 0.5 and m["fp"] == 2
    assert m["fpr"] == 2 / 3 and abs(m["malicious_f1"] - 4 / 7) < 1e-12
    assert m["malware_caught_only_by_findings"] == 1 and m["benign_with_findings"] == 1
    [line] = scan_path_line("pooled", m)
    assert "recall 0.667" in line and "FP 2" in line and scan_path_line("pooled", None) == []


def test_scan_path_without_findings_is_the_model() -> None:
    y = np.array([1, 0, 1, 0])
    by_model = np.array([True, False, False, False])
    m = scan_path_metrics(y, by_model, np.zeros(4, dtype=bool))
    assert m["malicious_recall"] == 0.5 and m["fp"] == 0 and m["malware_caught_only_by_findings"] == 0
