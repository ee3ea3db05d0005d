"""The signature header and the SSRF address check."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from leadapp.webhooks import addresses, signing


def test_header_is_hmac_sha256_of_timestamp_and_body():
    body = '{"id":"x"}'
    value = signing.header("whsec_abc", body, timestamp=1700000000)
    expected = hmac.new(b"whsec_abc", b'1700000000.{"id":"x"}', hashlib.sha256).hexdigest()
    assert value == f"t=1700000000,v1={expected}"


def test_verify_accepts_fresh_and_refuses_tampered_old_or_wrong_secret():
    body = '{"event":"lead.created"}'
    value = signing.header("s1", body, timestamp=1000)
    assert signing.verify("s1", value, body, now=1100)
    assert not signing.verify("s1", value, body + " ", now=1100)
    assert not signing.verify("s2", value, body, now=1100)
    assert not signing.verify("s1", value, body, now=1000 + 301)
    assert not signing.verify("s1", "garbage", body, now=1100)


def test_new_secrets_differ():
    assert signing.new_secret() != signing.new_secret()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://localhost:8080/", "http://10.1.2.3/", "http://192.168.0.5/",
    "http://169.254.169.254/latest/meta-data", "http://[::1]/", "http://0.0.0.0/",
    "http://100.64.0.1/", "http://[::ffff:127.0.0.1]/",
])
def test_private_loopback_and_link_local_addresses_are_refused(url):
    with pytest.raises(addresses.UnsafeUrl, match="public addresses"):
        addresses.resolve(url, allow_private=False)


@pytest.mark.parametrize("url, message", [
    ("ftp://93.184.216.34/", "http:// or https://"), ("javascript:alert(1)", "http:// or https://"),
    ("http://user:pw@93.184.216.34/", "user names"), ("http:///nohost", "no host"),
    ("http://93.184.216.34:99999/", "port"),
])
def test_bad_urls_are_refused_with_a_reason(url, message):
    with pytest.raises(addresses.UnsafeUrl, match=message):
        addresses.resolve(url, allow_private=False)


def test_public_address_passes_and_private_passes_when_allowed():
    target = addresses.resolve("https://93.184.216.34/in?x=1", allow_private=False)
    assert (target.scheme, target.port, target.path, target.addresses) == (
        "https", 443, "/in?x=1", ("93.184.216.34",))
    assert addresses.resolve("http://127.0.0.1:81/", allow_private=True).addresses == (
        "127.0.0.1",)
