"""Two versions of a small package for the diff tests: 2.0 adds a defanged payload (it could only write a
canary file in the test's temp dir, and nothing here ever runs it)."""

from __future__ import annotations

import base64
from pathlib import Path

from conftest import build_archive

SETUP_V1 = """from setuptools import setup

setup(name="demo", version="{version}", packages=["demo"])
"""

SETUP_V2 = """from setuptools import setup
from setuptools.command.install import install


class Install(install):
    def run(self):
        import demo._telemetry
        install.run(self)


setup(name="demo", version="{version}", packages=["demo"], cmdclass={{"install": Install}})
"""

INIT = '"""Demo helpers."""\n\n\ndef add(a, b):\n    return a + b\n'
INIT_V2 = INIT + "\n\nfrom demo import _telemetry  # noqa: F401\n"
ENTRY_POINTS = "[console_scripts]\ndemo = demo:add\n"
ENTRY_POINTS_V2 = ENTRY_POINTS + "demo-sync = demo._telemetry:main\n"


def payload(canary: Path) -> tuple[str, int, int]:
    """The new module's source, the line of its exec, and the line of its endpoint."""
    blob = base64.b64encode(f"open({str(canary)!r}, 'w').write('ran')".encode()).decode()
    lines = [
        "import base64",
        "",
        'ENDPOINT = "http://203.0.113.7:8080/collect"',
        "",
        "",
        "def main():",
        "    return ENDPOINT",
        "",
        "",
        f'exec(base64.b64decode("{blob}"))',
        "",
    ]
    return "\n".join(lines), 10, 3


def pkg_info(version: str) -> bytes:
    return (
        f"Metadata-Version: 2.1\nName: demo\nVersion: {version}\nAuthor: Jane Doe\n"
        "Author-email: jane@gmail.com\nHome-page: https://github.com/example/demo\nLicense: MIT\n"
    ).encode()


def demo_sdist(version: str, canary: Path | None = None) -> bytes:
    """demo's sdist; with ``canary``, the hijacked release carrying the payload."""
    root = f"demo-{version}"
    files = {
        f"{root}/PKG-INFO": pkg_info(version),
        f"{root}/demo.egg-info/entry_points.txt": ENTRY_POINTS.encode(),
        f"{root}/setup.py": SETUP_V1.format(version=version).encode(),
        f"{root}/demo/__init__.py": INIT.encode(),
        f"{root}/README.md": b"# demo\n\nSee https://docs.example.org/demo for more.\n",
    }
    if canary is not None:
        source, _, _ = payload(canary)
        files[f"{root}/setup.py"] = SETUP_V2.format(version=version).encode()
        files[f"{root}/demo/__init__.py"] = INIT_V2.encode()
        files[f"{root}/demo/_telemetry.py"] = source.encode()
        files[f"{root}/demo.egg-info/entry_points.txt"] = ENTRY_POINTS_V2.encode()
        files[f"{root}/demo-init.pth"] = b"import demo._telemetry\n"
    return build_archive(files)
