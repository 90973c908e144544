#!/usr/bin/env python3
"""Benchmark: GuardDog (static rules) vs vetpy on one fixed, seeded sample of the development data.

For every sampled archive this measures
  * GuardDog: ``guarddog pypi scan <archive> --output-format json``, one process per package, run from its
    own venv; wall time per package and the peak RSS of that child (``os.wait4`` rusage);
  * vetpy: the in-process ``Scanner`` (bundled/default scorer, or ``--model``), in a fresh worker process so
    its peak RSS is vetpy's alone; wall time per package;
  * the floor: only reading the file and decompressing every member (``vetpy.acquire.archive.open_archive``);
plus, optionally, ``vetpy`` start-up time and ``vetpy batch`` throughput with --jobs 1 vs --jobs 2.

Nothing from the packages is executed or installed. GuardDog is given the archive path in place; it copies
the archive into its own temporary directory and extracts it there (GuardDog 3.x does this under a
kernel sandbox). Its TMPDIR is set to a scratch folder outside the repository that is removed afterwards.
Results keep no code from the packages: only names, versions, sha256, labels, scores, rule/feature ids
and timings.

Usage: see benchmarks/README.md (``benchmarks/run.sh`` reproduces the headline run).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import platform
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from vetpy.lab import protocols

REPO = Path(__file__).resolve().parent.parent
BENCH_CACHE = Path(os.environ.get("VETPY_BENCH_CACHE", Path.home() / ".cache" / "vetpy" / "bench"))
GUARDDOG_VERSION = "3.2.0"
GUARDDOG_THRESHOLD = 5.0  # risk_score.score is 0-10; >= 5 is GuardDog's own "suspicious"/"high_risk" label
TIME_TEST_FROM = protocols.TIME_SPLIT_TRAIN_BEFORE  # the time split's test side: from this date
TIME_TEST_UNTIL = protocols.TIME_SPLIT_TEST_UNTIL
BENIGN_TEST_BUCKET = protocols.BENIGN_TRAIN_BUCKETS  # benign name buckets >= this are held out


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------- stats
def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(round(q * len(ordered), 9))))
    return ordered[rank - 1]


def timing(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000.0 for s in seconds]
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 2),
        "p95_ms": round(pct(ms, 0.95), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "max_ms": round(max(ms), 2),
        "total_s": round(sum(seconds), 2),
    }


def classification(rows: list[dict[str, Any]], flag_key: str) -> dict[str, Any]:
    """Malicious-class metrics; an error counts as 'not flagged' (a miss on malware, no alarm on benign)."""
    tp = sum(1 for r in rows if r["label"] == 1 and r[flag_key])
    fn = sum(1 for r in rows if r["label"] == 1 and not r[flag_key])
    fp = sum(1 for r in rows if r["label"] == 0 and r[flag_key])
    tn = sum(1 for r in rows if r["label"] == 0 and not r[flag_key])
    recall = tp / (tp + fn) if tp + fn else float("nan")
    fpr = fp / (fp + tn) if fp + tn else float("nan")
    precision = tp / (tp + fp) if tp + fp else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    by_source: dict[str, dict[str, int]] = {}
    for r in rows:
        entry = by_source.setdefault(r["source"], {"n": 0, "flagged": 0})
        entry["n"] += 1
        entry["flagged"] += int(bool(r[flag_key]))
    return {
        "tp": tp,
        "fn": fn,
        "fp": fp,
        "tn": tn,
        "malicious_recall": round(recall, 4),
        "false_positive_rate": round(fpr, 4),
        "precision": round(precision, 4),
        "f1": round(f1, 4),
        "flagged_by_source": by_source,
    }


# -------------------------------------------------------------------------------------------- sample
def near_duplicate_keys(samples: list[Any]) -> dict[str, str]:
    """Near-duplicate cluster key per malicious sha256 (vetpy.lab.dataset.dedup), cached under BENCH_CACHE."""
    from vetpy.acquire.archive import open_archive
    from vetpy.lab.dataset.dedup import near_duplicate_key

    cache_file = BENCH_CACHE / "dupkeys.json"
    keys: dict[str, str] = {}
    if cache_file.is_file():
        keys = json.loads(cache_file.read_text())
    todo = [s for s in samples if s.sha256 not in keys]
    if todo:
        log(f"near-duplicate keys: reading {len(todo)} malicious archives in memory (cached afterwards)")
    for i, s in enumerate(todo, 1):
        try:
            archive = open_archive(s.path, target=str(s.path))
            keys[s.sha256] = near_duplicate_key(archive, s.name, s.version)
        except Exception:
            keys[s.sha256] = s.sha256[:20]  # unreadable: its own cluster (as lab.dataset.extraction)
        if i % 1000 == 0:
            log(f"  {i}/{len(todo)}")
    if todo:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        cache_file.write_text(json.dumps(keys))
    return keys


def draw_sample(
    data: Path, n_mal: int, n_ben: int, seed: int, split: str
) -> tuple[list[Any], dict[str, Any]]:
    """Malicious: one random sample per near-duplicate cluster (clusters in random order; a second pass
    over the clusters only if more samples than clusters are asked for). Benign: uniform over cached rows.
    """
    from vetpy.lab.dataset.corpus import benign_samples, malicious_samples, name_bucket

    rng = random.Random(seed)
    mal = [s for s in malicious_samples(data) if s.path.is_file()]
    ben = benign_samples(data)  # only rows whose archive is in the cache
    if split == "time-test":
        mal = [s for s in mal if TIME_TEST_FROM <= s.date <= TIME_TEST_UNTIL]
        ben = [s for s in ben if name_bucket(s.name) >= BENIGN_TEST_BUCKET]
    mal.sort(key=lambda s: s.sha256)
    ben.sort(key=lambda s: s.sha256)
    keys = near_duplicate_keys(mal)
    clusters: dict[str, list[Any]] = {}
    for s in mal:
        clusters.setdefault(keys[s.sha256], []).append(s)
    order = sorted(clusters)
    rng.shuffle(order)
    for k in order:
        rng.shuffle(clusters[k])
    picked: list[Any] = []
    depth = 0
    while len(picked) < n_mal and depth < max(len(v) for v in clusters.values()):
        for k in order:
            if len(picked) >= n_mal:
                break
            if depth < len(clusters[k]):
                picked.append(clusters[k][depth])
        depth += 1
    benign = rng.sample(ben, min(n_ben, len(ben)))
    info = {
        "split": split,
        "seed": seed,
        "malicious_pool": len(mal),
        "malicious_clusters_in_pool": len(clusters),
        "malicious_sampled": len(picked),
        "malicious_distinct_clusters_sampled": len({keys[s.sha256] for s in picked}),
        "benign_pool_cached": len(ben),
        "benign_sampled": len(benign),
        "benign_by_stratum": {
            src: sum(1 for s in benign if s.source == src) for src in sorted({s.source for s in benign})
        },
        "malicious_dates": [min(s.date for s in picked), max(s.date for s in picked)] if picked else [],
    }
    if split == "time-test":
        info["definition"] = (
            f"malicious added {TIME_TEST_FROM}..{TIME_TEST_UNTIL}; benign with name_bucket(name) >= "
            f"{BENIGN_TEST_BUCKET} (the held-out side of vetpy's time split)"
        )
    return picked + benign, info


def sample_record(s: Any, data: Path) -> dict[str, Any]:
    try:
        rel = str(s.path.relative_to(data))
    except ValueError:
        rel = s.path.name
    return {
        "label": s.label,
        "name": s.name,
        "version": s.version,
        "sha256": s.sha256,
        "date": s.date,
        "source": s.source,
        "file": rel,
        "path": str(s.path),
    }


# ---------------------------------------------------------------------------------------- guarddog
def ensure_guarddog(venv: Path, version: str) -> tuple[Path, str]:
    """A venv with GuardDog installed from the configured index (by name only); returns (exe, version)."""
    exe = venv / "bin" / "guarddog"
    py = venv / "bin" / "python"
    if not exe.is_file():
        log(f"creating {venv} and installing guarddog=={version}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        done = subprocess.run([str(py), "-m", "pip", "install", "-q", f"guarddog=={version}"])
        if done.returncode != 0:
            log(f"guarddog=={version} did not install; trying the newest 3.x")
            subprocess.run([str(py), "-m", "pip", "install", "-q", "guarddog>=3,<4"], check=True)
    got = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    return exe, got


TIME_BIN = "/usr/bin/time"


def run_child(cmd: list[str], *, env: dict[str, str], cwd: str, timeout: float) -> dict[str, Any]:
    """Run one process; wall time, peak RSS and stdout. Killed after ``timeout``.

    Peak RSS comes from ``/usr/bin/time -f %M`` (GNU time forks the tool from its own small process, so
    the figure is the tool's alone, descendants included). Without GNU time it falls back to this
    process's wait4 rusage, which on Linux also carries the parent's peak at fork time (an upper bound).
    """
    use_time = os.access(TIME_BIN, os.X_OK)
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile() as mem,
    ):
        full = [TIME_BIN, "-f", "%M", "-o", mem.name, *cmd] if use_time else cmd
        start = time.perf_counter()
        proc = subprocess.Popen(full, stdout=out, stderr=err, env=env, cwd=cwd, start_new_session=True)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        peak_kb = float(usage.ru_maxrss)
        if use_time:
            text = Path(mem.name).read_text().split()
            peak_kb = float(text[-1]) if text and text[-1].isdigit() else float("nan")
        return {
            "seconds": seconds,
            "peak_rss_mb": peak_kb / 1024.0,
            "returncode": proc.returncode,
            "timed_out": timed_out.is_set(),
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr_tail": err.read().decode("utf-8", "replace")[-400:],
        }


def guarddog_one(exe: Path, path: str, scratch: Path, timeout: float, sandbox: bool) -> dict[str, Any]:
    env = dict(os.environ, TMPDIR=str(scratch), TEMP=str(scratch), TMP=str(scratch))
    cmd = [str(exe), "pypi", "scan", path, "--output-format", "json"]
    if not sandbox:
        cmd.append("--no-sandbox")
    run = run_child(cmd, env=env, cwd=str(scratch), timeout=timeout)
    rec: dict[str, Any] = {
        "seconds": round(run["seconds"], 4),
        "peak_rss_mb": round(run["peak_rss_mb"], 1),
        "score": None,
        "issues": None,
        "rules": [],
        "error": None,
    }
    if run["timed_out"]:
        rec["error"] = f"timeout after {timeout:g} s"
        return rec
    try:
        report = json.loads(run["stdout"])
    except ValueError:
        tail = " ".join(run["stderr_tail"].split())[-200:]
        rec["error"] = f"exit {run['returncode']}, no JSON: {tail}"
        return rec
    rec["score"] = float((report.get("risk_score") or {}).get("score", 0.0))
    rec["issues"] = int(report.get("issues", 0))
    rec["label"] = (report.get("risk_score") or {}).get("label")
    rec["rules"] = sorted(k for k, v in (report.get("results") or {}).items() if v)
    if report.get("errors"):
        rec["rule_errors"] = sorted(report["errors"])
    return rec


def run_guarddog(
    exe: Path, samples: list[dict[str, Any]], timeout: float, sandbox: bool
) -> list[dict[str, Any]]:
    BENCH_CACHE.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="guarddog-scratch-", dir=BENCH_CACHE))
    out = []
    try:
        for i, s in enumerate(samples, 1):
            out.append(guarddog_one(exe, s["path"], scratch, timeout, sandbox))
            if i % 25 == 0 or i == len(samples):
                log(f"guarddog {i}/{len(samples)}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return out


# ------------------------------------------------------------------------------------------- vetpy
def rss_mb() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: after fork+exec Linux carries the parent's peak
    into ru_maxrss, so a worker started from a big parent would report the parent's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def vetpy_worker(sample_file: Path, out_file: Path, model: str | None, mode: str) -> None:
    """Runs in a fresh process: ``floor`` (read + decompress only) or ``scan`` (the Scanner)."""
    samples = json.loads(sample_file.read_text())
    rss_start = rss_mb()
    records: list[dict[str, Any]] = []
    info: dict[str, Any] = {}
    if mode == "floor":
        from vetpy.acquire.archive import open_archive

        for s in samples:
            start = time.perf_counter()
            error = None
            members = 0
            try:
                archive = open_archive(Path(s["path"]), target=s["path"])
                members = len(archive.members)
            except Exception as exc:
                error = f"{type(exc).__name__}"
            records.append(
                {"seconds": round(time.perf_counter() - start, 5), "members": members, "error": error}
            )
    else:
        t0 = time.perf_counter()
        from vetpy.scan import Scanner, default_scorer, load_scorer

        scorer = load_scorer(model) if model else default_scorer()
        scanner = Scanner(scorer=scorer)
        info["load_seconds"] = round(time.perf_counter() - t0, 3)
        info["scorer"] = scorer.name
        info["threshold"] = scanner.threshold
        info["rss_after_load_mb"] = round(rss_mb(), 1)
        for s in samples:
            start = time.perf_counter()
            result = scanner.scan([s["path"]])[0]
            seconds = time.perf_counter() - start
            records.append(
                {
                    "seconds": round(seconds, 5),
                    "verdict": result.verdict.value,
                    "score": None if result.score is None else round(result.score, 5),
                    "features": [r.feature for r in result.reasons],  # ids only: no code snippets
                    "error": result.error,
                }
            )
    info["rss_before_mb"] = round(rss_start, 1)
    info["peak_rss_mb"] = round(rss_mb(), 1)
    out_file.write_text(json.dumps({"info": info, "records": records}))


def run_worker(mode: str, samples: list[dict[str, Any]], model: str | None, tmp: Path) -> dict[str, Any]:
    sample_file = tmp / "sample.json"
    sample_file.write_text(json.dumps(samples))
    out_file = tmp / f"{mode}.json"
    cmd = [sys.executable, __file__, "_worker", mode, str(sample_file), str(out_file)]
    if model:
        cmd += ["--model", model]
    subprocess.run(cmd, check=True)
    result: dict[str, Any] = json.loads(out_file.read_text())
    return result


# ------------------------------------------------------------------------------ start-up and batch
def vetpy_cmd() -> list[str]:
    exe = shutil.which("vetpy")
    return [exe] if exe else [sys.executable, "-m", "vetpy"]


def startup(runs: int) -> dict[str, Any]:
    example = REPO / "examples" / "hello-0.1.0.tar.gz"
    out: dict[str, Any] = {}
    for label, args in (("version", ["--version"]), ("scan_example", ["scan", str(example)])):
        times = []
        codes = set()
        for _ in range(runs):
            start = time.perf_counter()
            done = subprocess.run(vetpy_cmd() + args, capture_output=True)
            times.append(time.perf_counter() - start)
            codes.add(done.returncode)
        out[label] = {
            "command": "vetpy "
            + " ".join(a if a != str(example) else "examples/hello-0.1.0.tar.gz" for a in args),
            "runs": runs,
            "median_ms": round(statistics.median(times) * 1000, 1),
            "min_ms": round(min(times) * 1000, 1),
            "exit_codes": sorted(codes),
        }
    return out


def batch_throughput(samples: list[dict[str, Any]], n: int, tmp: Path, model: str | None) -> dict[str, Any]:
    help_run = subprocess.run([*vetpy_cmd(), "batch", "--help"], capture_output=True)
    if help_run.returncode != 0:
        return {"available": False}
    chosen = samples[:n]
    targets = tmp / "targets.txt"
    targets.write_text("".join(s["path"] + "\n" for s in chosen))
    out: dict[str, Any] = {"available": True, "archives": len(chosen), "runs": {}}
    for jobs in (1, 2):
        result_file = tmp / f"batch-{jobs}.jsonl"
        start = time.perf_counter()
        done = subprocess.run(
            [*vetpy_cmd(), "batch", str(targets), "--out", str(result_file), "--jobs", str(jobs)]
            + (["--model", model] if model else []),
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - start
        lines = result_file.read_text().splitlines() if result_file.is_file() else []
        out["runs"][str(jobs)] = {
            "wall_s": round(wall, 2),
            "packages_per_s": round(len(lines) / wall, 2) if wall else None,
            "results": len(lines),
            "exit_code": done.returncode,
            "summary": done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:],
        }
    r1, r2 = out["runs"]["1"], out["runs"]["2"]
    if r1["packages_per_s"] and r2["packages_per_s"]:
        out["speedup_jobs2_vs_jobs1"] = round(r2["packages_per_s"] / r1["packages_per_s"], 2)
    out["cpus"] = os.cpu_count()
    return out


# ------------------------------------------------------------------------------------------ report
def model_provenance(scorer_name: str, data: Path, model: str | None) -> dict[str, Any]:
    """Whether the model (bundled, or ``--model PATH``) saw the time-split test rows: compare its
    training-data id to the ids of the whole corpus and of the time split's training side."""
    if model == "rules":
        return {"bundled_model": False, "scorer": scorer_name}
    bundled = model is None
    manifest_path = (
        REPO / "src" / "vetpy" / "models" / "default.json" if bundled else Path(model).with_suffix(".json")
    )
    if not manifest_path.is_file():
        return {"bundled_model": False, "scorer": scorer_name}
    manifest = json.loads(manifest_path.read_text())
    out: dict[str, Any] = {
        "bundled_model": bundled,
        "model_path": "bundled" if bundled else str(model),
        "scorer": scorer_name,
        "kind": manifest.get("kind"),
        "created": manifest.get("created"),
        "threshold": manifest.get("threshold"),
        "training_data_id": manifest.get("training_data_id"),
        # held-out reference: `vetpy evaluate` time-split metrics, as recorded by `vetpy train`
        "manifest_metrics": manifest.get("metrics"),
    }
    try:
        from vetpy.lab.dataset.corpus import corpus_id, load_corpus, name_bucket

        corpus = load_corpus(data)
        train_side = [
            s
            for s in corpus
            if (s.label == 1 and s.date < TIME_TEST_FROM)
            or (s.label == 0 and name_bucket(s.name) < BENIGN_TEST_BUCKET)
        ]
        ids = {"whole corpus": corpus_id(corpus), "time-split train side only": corpus_id(train_side)}
        out["training_data_matches"] = [
            k for k, v in ids.items() if v == manifest.get("training_data_id")
        ] or ["neither (unknown training set)"]
    except Exception as exc:  # provenance is informative only
        out["training_data_matches"] = [f"could not compute: {exc}"]
    return out


def fmt(x: Any, pct_: bool = False) -> str:
    if x is None or (isinstance(x, float) and x != x):
        return "n/a"
    return f"{100 * x:.1f}%" if pct_ else f"{x:.3f}"


def markdown(res: dict[str, Any]) -> str:
    s = res["sample"]
    lines = [
        f"Sample: {s['malicious_sampled']} malicious ({s['malicious_distinct_clusters_sampled']} distinct "
        f"near-duplicate clusters) + {s['benign_sampled']} benign, split `{s['split']}`, seed {s['seed']}",
        "",
        "| tool | malicious recall | false-positive rate | precision | F1 | errors "
        "| ms/pkg median | p95 | mean | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, label in (
        ("guarddog", f"GuardDog {res.get('guarddog_version', '')} (score >= {GUARDDOG_THRESHOLD:g})"),
        ("guarddog_any_issue", "GuardDog, any rule hit (issues >= 1)"),
        ("vetpy", f"vetpy ({res.get('vetpy_scorer', '?')})"),
        ("floor", "floor: read + decompress only"),
    ):
        t = res["tools"].get(key)
        if not t:
            continue
        m = t.get("metrics")
        tm = t.get("timing", {})
        mem = t.get("peak_rss_mb")
        cells = (
            [
                f"{fmt(m['malicious_recall'], True)} ({m['tp']}/{m['tp'] + m['fn']})",
                f"{fmt(m['false_positive_rate'], True)} ({m['fp']}/{m['fp'] + m['tn']})",
                fmt(m["precision"], True),
                fmt(m["f1"]),
                str(t.get("errors", 0)),
            ]
            if m
            else ["-", "-", "-", "-", str(t.get("errors", 0))]
        )
        timing_cells = (
            [f"{tm['median_ms']:.1f}", f"{tm['p95_ms']:.1f}", f"{tm['mean_ms']:.1f}"]
            if tm.get("n")
            else ["-"] * 3
        )
        lines.append(
            f"| {label} | " + " | ".join(cells + timing_cells + [f"{mem:.0f} MB" if mem else "-"]) + " |"
        )
    st = res.get("startup")
    if st:
        lines += [
            "",
            f"Start-up (median of {st['version']['runs']}): `{st['version']['command']}` "
            f"{st['version']['median_ms']:.0f} ms; `{st['scan_example']['command']}` "
            f"{st['scan_example']['median_ms']:.0f} ms.",
        ]
    b = res.get("batch")
    if b and b.get("available"):
        r1, r2 = b["runs"]["1"], b["runs"]["2"]
        lines += [
            "",
            f"`vetpy batch` on {b['archives']} archives of the sample ({b['cpus']} CPUs, shared): --jobs 1 "
            f"{r1['packages_per_s']:.1f} packages/s ({r1['wall_s']:.1f} s), --jobs 2 "
            f"{r2['packages_per_s']:.1f} packages/s ({r2['wall_s']:.1f} s), "
            f"speed-up {b.get('speedup_jobs2_vs_jobs1', 'n/a')}x.",
        ]
    elif b is not None:
        lines += ["", "`vetpy batch`: not available in this checkout."]
    return "\n".join(lines)


# -------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_worker":
        wp = argparse.ArgumentParser()
        wp.add_argument("mode", choices=("floor", "scan"))
        wp.add_argument("sample_file", type=Path)
        wp.add_argument("out_file", type=Path)
        wp.add_argument("--model")
        wa = wp.parse_args(argv[1:])
        vetpy_worker(wa.sample_file, wa.out_file, wa.model, wa.mode)
        return 0

    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument("--malicious", type=int, default=150, help="malicious archives to sample (default 150)")
    p.add_argument("--benign", type=int, default=150, help="benign archives to sample (default 150)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--split",
        choices=("all", "time-test"),
        default="time-test",
        help="all: the whole development data; time-test: only the held-out side of vetpy's time split\n"
        f"(malicious added {TIME_TEST_FROM}..{TIME_TEST_UNTIL}, benign name_bucket >= {BENIGN_TEST_BUCKET})",
    )
    p.add_argument("--data", help="development data folder (default: VETPY_DATA or ../shared/data)")
    p.add_argument("--model", help="vetpy scorer: a saved model path or 'rules' (default: bundled/default)")
    p.add_argument("--guarddog-version", default=GUARDDOG_VERSION)
    p.add_argument("--guarddog-venv", type=Path, default=BENCH_CACHE / "guarddog-venv")
    p.add_argument("--guarddog-timeout", type=float, default=300.0, help="seconds per package")
    p.add_argument("--no-sandbox", action="store_true", help="pass --no-sandbox to GuardDog (if unsupported)")
    p.add_argument("--skip-guarddog", action="store_true")
    p.add_argument("--startup-runs", type=int, default=5, help="0 to skip the start-up measurement")
    p.add_argument("--batch", type=int, default=300, help="archives for the batch throughput run (0 to skip)")
    p.add_argument("--out", type=Path, help="results JSON (default benchmarks/results/<date>-<split>.json)")
    args = p.parse_args(argv)

    from vetpy import __version__ as vetpy_version
    from vetpy.lab.dataset.paths import data_dir

    data = data_dir(args.data)
    started = time.time()
    picked, sample_info = draw_sample(data, args.malicious, args.benign, args.seed, args.split)
    samples = [sample_record(s, data) for s in picked]
    log(f"sample: {sample_info['malicious_sampled']} malicious + {sample_info['benign_sampled']} benign")

    res: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "command": "python benchmarks/guarddog_vs_vetpy.py " + " ".join(argv),
        "vetpy_version": vetpy_version,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "note": "2 cores shared with other work; timings are indicative",
        },
        "sample": sample_info,
        "guarddog_rule": (
            f"malicious iff risk_score.score >= {GUARDDOG_THRESHOLD:g} (0-10 scale; GuardDog labels >= 5 "
            "'suspicious', >= 7 'high_risk'); also reported: any rule hit (issues >= 1). A GuardDog error or "
            "timeout counts as not flagged."
        ),
        "vetpy_rule": (
            "malicious iff verdict == 'malicious' (score >= the model's threshold); "
            "an error counts as not flagged"
        ),
        "tools": {},
    }

    with tempfile.TemporaryDirectory(prefix="vetpy-bench-") as tmp_name:
        tmp = Path(tmp_name)
        for s in samples:  # warm the page cache once, in this process, so every tool reads from memory
            Path(s["path"]).read_bytes()
        log("floor: read + decompress every member")
        floor = run_worker("floor", samples, None, tmp)
        log("vetpy: in-process Scanner")
        vet = run_worker("scan", samples, args.model, tmp)
        res["vetpy_scorer"] = vet["info"]["scorer"]
        res["vetpy_worker"] = vet["info"]
        res["model"] = model_provenance(vet["info"]["scorer"], data, args.model)
        for s, f, v in zip(samples, floor["records"], vet["records"], strict=True):
            s["floor"] = f
            s["vetpy"] = v
            s["vetpy_flag"] = v["verdict"] == "malicious"
        res["tools"]["floor"] = {
            "timing": timing([s["floor"]["seconds"] for s in samples]),
            "errors": sum(1 for s in samples if s["floor"]["error"]),
            "peak_rss_mb": floor["info"]["peak_rss_mb"],
        }
        res["tools"]["vetpy"] = {
            "metrics": classification(samples, "vetpy_flag"),
            "timing": timing([s["vetpy"]["seconds"] for s in samples]),
            "errors": sum(1 for s in samples if s["vetpy"]["verdict"] == "error"),
            "peak_rss_mb": vet["info"]["peak_rss_mb"],
        }

        if not args.skip_guarddog:
            exe, gd_version = ensure_guarddog(args.guarddog_venv, args.guarddog_version)
            res["guarddog_version"] = gd_version
            res["guarddog_sandbox"] = not args.no_sandbox
            log(f"guarddog {gd_version}: one process per package")
            gd = run_guarddog(exe, samples, args.guarddog_timeout, sandbox=not args.no_sandbox)
            for s, g in zip(samples, gd, strict=True):
                s["guarddog"] = g
                s["guarddog_flag"] = g["score"] is not None and g["score"] >= GUARDDOG_THRESHOLD
                s["guarddog_any"] = bool(g["issues"])
            gd_timing = timing([g["seconds"] for g in gd])
            gd_errors = sum(1 for g in gd if g["error"])
            res["tools"]["guarddog"] = {
                "metrics": classification(samples, "guarddog_flag"),
                "timing": gd_timing,
                "errors": gd_errors,
                "peak_rss_mb": round(max(g["peak_rss_mb"] for g in gd), 1),
                "peak_rss_mb_median": round(statistics.median(g["peak_rss_mb"] for g in gd), 1),
            }
            res["tools"]["guarddog_any_issue"] = {
                "metrics": classification(samples, "guarddog_any"),
                "timing": gd_timing,
                "errors": gd_errors,
                "peak_rss_mb": res["tools"]["guarddog"]["peak_rss_mb"],
            }

        if args.startup_runs:
            log("start-up times")
            res["startup"] = startup(args.startup_runs)
        if args.batch:
            log(f"batch throughput on {min(args.batch, len(samples))} archives, --jobs 1 and 2")
            res["batch"] = batch_throughput(samples, args.batch, tmp, args.model)

    for s in samples:
        del s["path"]  # absolute local paths are not part of the result
    res["packages"] = samples
    res["seconds"] = round(time.time() - started, 1)
    out = args.out or REPO / "benchmarks" / "results" / f"{res['date']}-{args.split}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1) + "\n")
    table = markdown(res)
    res["table_markdown"] = table
    out.write_text(json.dumps(res, indent=1) + "\n")
    print(table)
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
