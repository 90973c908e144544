"""Small packages for the watch tests: benign ones, and a defanged payload (it could only write a canary
file in the test's temp dir; nothing here runs it)."""

from __future__ import annotations

import base64
from pathlib import Path

from conftest import build_archive

EVIL_SETUP = """import base64
from setuptools import setup
from setuptools.command.install import install

BLOB = "{blob}"


class PostInstall(install):
    def run(self):
        exec(base64.b64decode(BLOB))
        install.run(self)


setup(name="{name}", version="{version}", cmdclass={{"install": PostInstall}})
"""


def benign(name: str, version: str) -> bytes:
    root = f"{name}-{version}"
    return build_archive(
        {
            f"{root}/PKG-INFO": (
                f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nAuthor: Jane Doe\n"
                "Author-email: jane@gmail.com\nHome-page: https://github.com/example/x\nLicense: MIT\n"
            ).encode(),
            f"{root}/{name}/__init__.py": b'"""Add numbers."""\n\n\ndef add(a, b):\n    return a + b\n',
        }
    )


def evil(name: str, version: str, canary: Path) -> bytes:
    code = f"import os, json\nopen({str(canary)!r}, 'w').write(json.dumps(dict(os.environ)))\n"
    blob = base64.b64encode(code.encode()).decode()
    setup = EVIL_SETUP.format(blob=blob, name=name, version=version)
    return build_archive({f"{name}-{version}/setup.py": setup.encode()})
