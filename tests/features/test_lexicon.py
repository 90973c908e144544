"""The infrastructure lexicon shipped as package data."""

from __future__ import annotations

from importlib import resources

from vetpy.features.lexicon import CATEGORIES, endpoint_keys, host_category, lexicon_hosts


def test_every_category_is_known_and_provenance_is_stated() -> None:
    text = resources.files("vetpy.data").joinpath("infrastructure.csv").read_text(encoding="utf-8")
    assert "Provenance" in text
    assert len(lexicon_hosts()) > 100
    assert {host_category(h) for h in lexicon_hosts()} <= set(CATEGORIES)


def test_subdomains_match_their_service_and_lookalikes_do_not() -> None:
    assert host_category("abc123.ngrok-free.app") == "tunnel"
    assert host_category("x.oast.fun") == "oast"
    assert host_category("myhost.duckdns.org") == "dyndns"
    assert host_category("pastebin.com") == "paste"
    assert host_category("notpastebin.com") is None
    assert host_category("github.com") is None


def test_endpoint_shapes() -> None:
    token = "123456789:AAH" + "b" * 32
    text = (
        f"https://api.telegram.org/bot{token}/sendMessage "
        "https://discord.com/api/webhooks/123456789012345678/" + "x" * 68 + " "
        "https://discord.gg/invite-code"
    )
    keys = endpoint_keys(text)
    assert f"telegram_bot:{token}" in keys
    assert any(k.startswith("discord_webhook:123456789012345678/") for k in keys)
    assert len(keys) == 2  # an invite link is not a webhook


def test_bare_hosts_are_whole_dotted_names_under_a_lexicon_domain() -> None:
    from vetpy.features.lexicon import bare_hosts, has_lexicon_word

    assert bare_hosts(".abc123.oast.fun") == [("abc123.oast.fun", "oast")]  # a leading dot counts
    assert bare_hosts("{}.c.ngrok-free.app:80") == [("c.ngrok-free.app", "tunnel")]
    assert bare_hosts("Host: A.DuckDNS.org.") == [("a.duckdns.org", "dyndns")]
    # not a label boundary, a longer name under another domain, or a file name
    assert bare_hosts("x.oast.fun.example.net") == []
    assert bare_hosts("myinteract.sh and foo-oast.fun") == []
    assert bare_hosts("run interact.sh, then transfer.sh") == []
    assert bare_hosts("x.interact.sh") == [("x.interact.sh", "oast")]  # with a label it is the host
    # a URL's or mail address's host is the URL reader's, unless asked for
    assert bare_hosts("https://a.oast.fun/x user@b.duckdns.org") == []
    assert bare_hosts("https://a.oast.fun/x", in_urls=True) == [("a.oast.fun", "oast")]
    assert has_lexicon_word("PING X.OAST.FUN") and not has_lexicon_word("ping x.example.net")
