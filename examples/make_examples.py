"""Build the tiny benign example archive shipped in examples/ (deterministic: same bytes every run).

    python examples/make_examples.py
"""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

NAME, VERSION = "hello", "0.1.0"

FILES: dict[str, str] = {
    "PKG-INFO": """Metadata-Version: 2.1
Name: hello
Version: 0.1.0
Summary: Say hello: a tiny example package for trying vetpy
Home-page: https://github.com/example/hello
Author: Example Author
Author-email: author@gmail.com
License: MIT
Classifier: License :: OSI Approved :: MIT License
Classifier: Programming Language :: Python :: 3
Requires-Python: >=3.8
Description-Content-Type: text/markdown

# hello

Prints a friendly greeting. Used by vetpy's README as a first package to scan.
""",
    "README.md": "# hello\n\nPrints a friendly greeting. Used by vetpy's README as a first package to scan.\n",
    "LICENSE": "MIT License\n\nCopyright (c) 2024 Example Author\n\nPermission is hereby granted, free of charge, "
    "to any person obtaining a copy of this software, to deal in the Software without restriction.\n",
    "setup.py": """from setuptools import setup

setup(
    name="hello",
    version="0.1.0",
    description="Say hello: a tiny example package for trying vetpy",
    url="https://github.com/example/hello",
    author="Example Author",
    author_email="author@gmail.com",
    license="MIT",
    classifiers=["License :: OSI Approved :: MIT License", "Programming Language :: Python :: 3"],
    packages=["hello"],
    python_requires=">=3.8",
)
""",
    "hello/__init__.py": '''"""Say hello."""

__version__ = "0.1.0"


def greet(name: str = "world") -> str:
    """Return a greeting for ``name``."""
    return f"Hello, {name}!"
''',
    "hello/__main__.py": "from hello import greet\n\nprint(greet())\n",
}


def build_sdist(dest: Path, name: str, version: str, files: dict[str, str]) -> Path:
    """Write ``<dest>/<name>-<version>.tar.gz`` holding ``files`` under ``<name>-<version>/``."""
    root = f"{name}-{version}"
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, text in sorted(files.items()):
            data = text.encode()
            info = tarfile.TarInfo(f"{root}/{path}")
            info.size, info.mtime, info.mode = len(data), 1_700_000_000, 0o644
            tar.addfile(info, io.BytesIO(data))
    out = dest / f"{root}.tar.gz"
    with out.open("wb") as handle, gzip.GzipFile(fileobj=handle, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw.getvalue())
    return out


if __name__ == "__main__":
    print(build_sdist(Path(__file__).resolve().parent, NAME, VERSION, FILES))
