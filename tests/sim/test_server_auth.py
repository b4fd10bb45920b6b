"""Unit tests of the simulator's access rules: IP lists, users file, Basic auth, certificates."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from dmsproto.sim.auth import SHIPPED_IP_LISTS as DMS_IPS_DEFAULT
from dmsproto.sim.auth import IPLists, Users, certificate_identity, parse_basic_auth
from dmsproto.sim.shacrypt import hash_password


def test_default_ip_lists_are_the_dms_defaults() -> None:
    lists = IPLists()
    assert lists.permits("127.0.0.1", tls=False)
    assert lists.permits("::1", tls=False)
    assert lists.permits("::ffff:127.0.0.1", tls=False)  # IPv4-mapped
    assert not lists.permits("10.1.2.3", tls=False)
    assert lists.permits("10.1.2.3", tls=True)
    assert lists.permits("2001:db8::1", tls=True)
    assert not lists.permits("not an address", tls=True)


def test_ip_lists_file_format() -> None:
    lists = IPLists.parse(DMS_IPS_DEFAULT)
    assert lists.permits("192.168.100.7", tls=False)
    assert lists.permits("172.18.9.255", tls=False)
    assert not lists.permits("172.18.10.1", tls=False)
    assert lists.permits("8.8.8.8", tls=True)
    with pytest.raises(ValueError, match="unknown section"):
        IPLists.parse("[Whatever]\n1.2.3.4\n")
    with pytest.raises(ValueError, match="outside a section"):
        IPLists.parse("1.2.3.4\n")


def test_block_list_wins_over_allow_list() -> None:
    lists = IPLists.of(tls_blocked=["10.0.0.0/8"], plain_allowed=["0.0.0.0/0"],
                       plain_blocked=["127.0.0.1"])
    assert not lists.permits("10.9.9.9", tls=True)
    assert lists.permits("11.0.0.1", tls=True)
    assert not lists.permits("127.0.0.1", tls=False)
    assert lists.permits("127.0.0.2", tls=False)


def test_users_file(tmp_path: Path) -> None:
    hashed = hash_password("pw1", scheme="sha256")
    text = (
        "# users\n"
        f"alice:{hashed}\n"
        "\n"
        "client1:*\n"
        "ThirdPartyApp:3,4,0x1F\n"
        "ThirdPartyApp:7\n"
    )
    users = Users.parse(text)
    assert users.check_password("alice", "pw1")
    assert not users.check_password("alice", "pw2")
    assert not users.check_password("bob", "pw1")
    assert users.check_certificate("client1", 123456789)
    assert users.check_certificate("ThirdPartyApp", 31)
    assert users.check_certificate("ThirdPartyApp", 7)
    assert not users.check_certificate("ThirdPartyApp", 5)
    assert not users.check_certificate("alice", 3)  # no serial line for alice

    # the DMS keeps two files; both load together
    (tmp_path / "users.cfg").write_text(f"alice:{hashed}\n", encoding="utf-8")
    (tmp_path / "clients.cfg").write_text("client1:1,2\n", encoding="utf-8")
    both = Users.load(tmp_path / "users.cfg", tmp_path / "clients.cfg")
    assert both.check_password("alice", "pw1")
    assert both.check_certificate("client1", 2)
    assert not both.check_certificate("client1", 3)


def test_users_file_errors() -> None:
    with pytest.raises(ValueError, match="line 1"):
        Users.parse("no-colon-here\n")
    with pytest.raises(ValueError, match="bad certificate serial"):
        Users.parse("x:1,zz\n")


def test_parse_basic_auth() -> None:
    token = base64.b64encode(b"user:pa:ss").decode()
    assert parse_basic_auth(f"Basic {token}".encode()) == ("user", "pa:ss")
    assert parse_basic_auth(f"basic  {token}".encode()) == ("user", "pa:ss")
    assert parse_basic_auth(b"Bearer abc") is None
    assert parse_basic_auth(b"Basic !!!") is None
    assert parse_basic_auth(b"Basic " + base64.b64encode(b"nocolon")) is None
    assert parse_basic_auth(None) is None


def test_certificate_identity() -> None:
    cert = {
        "subject": ((("countryName", "CH"),), (("commonName", "client1"),)),
        "serialNumber": "1F",
    }
    assert certificate_identity(cert) == ("client1", 31)
    assert certificate_identity({}) is None
    assert certificate_identity({"subject": ((("commonName", "x"),),)}) is None
