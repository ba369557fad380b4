"""Where a webhook may go (notify.webhook_targets): https, to public addresses only, unless an
administrator allows the host. Names are resolved by a stand-in: no lookup leaves the machine."""

from __future__ import annotations

import socket

import pytest

from alongside.domain.errors import InvalidInput
from alongside.notify.webhook_targets import allowed_hosts_from, check_webhook_url


def resolver(*addresses: str):
    def resolve(host, port, type=0):
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in addresses]
    return resolve


PUBLIC = resolver("93.184.215.14")


def refusal(url: str, resolve=PUBLIC, allowed=frozenset()) -> str:
    with pytest.raises(InvalidInput) as caught:
        check_webhook_url(url, allowed, resolve)
    assert caught.value.field == "webhook_url"
    return caught.value.detail


def test_a_public_https_host_is_accepted_and_its_checked_address_is_the_one_to_connect_to():
    target = check_webhook_url("https://hooks.example.org:8443/alongside?team=1", resolve=PUBLIC)
    assert (target.scheme, target.host, target.port, target.path, target.address) == \
        ("https", "hooks.example.org", 8443, "/alongside?team=1", "93.184.215.14")


def test_plain_http_is_refused_before_any_lookup():
    assert "https://" in refusal("http://example.org/hook", resolve=lambda *a, **k: pytest.fail("looked up"))


@pytest.mark.parametrize("address", ["127.0.0.1", "169.254.169.254", "10.0.0.1", "172.16.0.1", "192.168.1.1",
                                     "100.64.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1", "::1", "fe80::1",
                                     "fc00::1", "::ffff:127.0.0.1", "ff02::1"])
def test_a_host_at_a_non_public_address_is_refused(address):
    assert address in refusal("https://hooks.example.org/", resolve=resolver(address))


def test_a_name_with_one_private_address_among_public_ones_is_refused():
    assert "10.1.2.3" in refusal("https://hooks.example.org/", resolve=resolver("93.184.215.14", "10.1.2.3"))


def test_a_name_that_does_not_resolve_is_refused_plainly():
    assert "could not be found" in refusal("https://nowhere.example.org/", resolve=resolver())


def test_an_allowed_host_may_use_http_and_a_private_address():
    target = check_webhook_url("http://Intranet.Hospital.NHS.uk:8080/hook", allowed_hosts_from("intranet.hospital.nhs.uk"),
                               resolver("10.0.0.5"))
    assert (target.address, target.port) == ("10.0.0.5", 8080)


def test_allowing_one_host_allows_no_other():
    assert "127.0.0.1" in refusal("https://other.example.org/", resolve=resolver("127.0.0.1"),
                                  allowed=allowed_hosts_from("intranet.example.org"))


def test_the_allowed_hosts_setting_takes_commas_spaces_and_bracketed_ipv6():
    assert allowed_hosts_from(" 127.0.0.1, Hooks.Example.org [::1] ") == {"127.0.0.1", "hooks.example.org", "::1"}
    assert allowed_hosts_from(None) == frozenset()


@pytest.mark.parametrize("url", ["ftp://example.org/", "https:///nohost", "https://example.org:99999/"])
def test_a_url_that_is_not_an_https_url_with_a_host_is_refused(url):
    refusal(url)
