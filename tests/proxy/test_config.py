"""Reading the listen address and the upstream URL."""

from __future__ import annotations

import ipaddress
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dmsproto.errors import ConnectError
from dmsproto.proxy import parse_listen, upstream_from_url
from dmsproto.proxy.config import origin_form

hosts = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str),
    st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,20}){0,3}", fullmatch=True),
)


@given(host=hosts, port=st.integers(0, 65535))
def test_listen_addresses_round_trip(host: str, port: int) -> None:
    text = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    assert parse_listen(text, default_port=1) == (host, port)


@given(host=hosts)
def test_a_listen_address_without_port_takes_the_default(host: str) -> None:
    text = f"[{host}]" if ":" in host else host
    assert parse_listen(text, default_port=9021) == (host, 9021)
    if ":" in host:  # a bare IPv6 address also reads as a host
        assert parse_listen(host, default_port=9021) == (host, 9021)


@given(text=st.text(max_size=30))
def test_any_text_either_parses_or_says_why(text: str) -> None:
    try:
        host, port = parse_listen(text, default_port=9020)
    except ValueError as exc:
        assert "listen" in str(exc)
    else:
        assert 0 <= port <= 65535 and host and not any(c.isspace() for c in host)


@pytest.mark.parametrize("text", ["host:port", "h:-1", "h:65536", "[::1", "[::1]x", "a b:1"])
def test_bad_listen_addresses(text: str) -> None:
    with pytest.raises(ValueError, match="listen"):
        parse_listen(text, default_port=9020)


def test_only_a_port() -> None:
    assert parse_listen(":0", default_port=9020) == ("127.0.0.1", 0)


@pytest.mark.parametrize(("url", "scheme", "port", "tls"), [
    ("ws://dms.example/json_data", "ws", 9020, False),
    ("http://dms.example", "http", 9020, False),
    ("wss://dms.example/json_data", "wss", 9021, True),
    ("https://dms.example:443/json_data", "https", 443, True),
])
def test_upstream_urls(url: str, scheme: str, port: int, tls: bool) -> None:
    upstream = upstream_from_url(url)
    assert (upstream.scheme, upstream.host, upstream.port, upstream.tls) == (
        scheme, "dms.example", port, tls)
    assert upstream.url == f"{'wss' if tls else 'ws'}://dms.example:{port}/json_data"
    assert upstream.host_header == f"dms.example:{port}".encode()


def test_the_base_path_maps_to_the_upstream_path() -> None:
    gateway = upstream_from_url("ws://[::1]:9020/site1/json_data")
    assert gateway.host == "::1" and gateway.authority == "[::1]:9020"
    assert gateway.target(b"/json_data") == b"/site1/json_data"
    assert gateway.target(b"/json_data?x=1") == b"/site1/json_data?x=1"
    assert gateway.target(b"/other") == b"/other"
    assert upstream_from_url("ws://dms").target(b"/json_data?a") == b"/json_data?a"


@pytest.mark.parametrize(("url", "options", "message"), [
    ("dms.example:9020", {}, "scheme"),
    ("ws:///json_data", {}, "no host"),
    ("ws://dms:99999/", {}, "bad upstream URL"),
    ("ws://user:pw@dms/", {}, "credentials"),
    ("ws://dms/json_data?x=1", {}, "query"),
    ("ws://dms/", {"cafile": "ca.pem"}, "plain"),
    ("wss://dms/", {"keyfile": "k.pem"}, "key file needs"),
    ("wss://dms/", {"cafile": "/nonexistent/ca.pem"},
     "^cannot load TLS files: CA file /nonexistent/ca.pem: No such file or directory$"),
    ("wss://dms/", {"cafile": __file__},
     f"^cannot load TLS files: CA file {re.escape(__file__)}: it holds no PEM certificate$"),
    ("wss://dms/", {"certfile": __file__},
     f"^cannot load TLS files: certificate {re.escape(__file__)}: no PEM certificate and key"),
])
def test_bad_upstreams(url: str, options: dict[str, str], message: str) -> None:
    with pytest.raises(ConnectError, match=message):
        upstream_from_url(url, **options)  # type: ignore[arg-type]


def test_ipv6_hosts_are_valid_addresses() -> None:
    assert ipaddress.ip_address(upstream_from_url("wss://[fe80::1]/").host)


paths = st.text(alphabet="abcdefgh/_-.%?=&:", max_size=30).map(lambda t: ("/" + t).encode())


@given(paths, st.sampled_from([b"http", b"HTTPS", b"ws"]),
       st.sampled_from([b"dms", b"dms:9020", b"[::1]:9021", b"10.0.0.1"]))
def test_the_absolute_form_keeps_path_and_query(path: bytes, scheme: bytes,
                                               authority: bytes) -> None:
    assert origin_form(path) == path  # the origin form stays as it is
    assert origin_form(scheme + b"://" + authority + path) == path
    assert upstream_from_url("ws://dms/site1/json_data").target(
        scheme + b"://" + authority + path) == upstream_from_url(
        "ws://dms/site1/json_data").target(path)
