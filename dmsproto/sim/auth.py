"""Who may talk to the simulator: IP allow/block lists, users, Basic auth, client certificates.

Mirrors the DMS (manufacturer's document v1.4, section 2.4):

* Plain (http/ws) connections are unauthenticated and by default accepted only from
  the local host; TLS (https/wss) connections are accepted from anywhere by default.
  Each kind has a block list and an allow list of CIDR ranges: an address in the block
  list is refused, otherwise it must be in the allow list.
* On TLS, a client is authenticated by a client certificate (its subject CN is the user
  name, its serial number must be listed for that user) or, failing that, by HTTP Basic
  authentication against crypt(3) hashes (``$1$``, ``$apr1$``, ``$5$``, ``$6$``).

Users file (one simulator file for what the DMS keeps in ``DMS_JSON_USERS.cfg`` and
``DMS_JSON_CLIENTS.cfg``; either real file can be loaded as is)::

    # comment lines start with '#'; blank lines are ignored
    test:$6$rounds=5000$6cD3q0iA38D/wZdT$TnCr0f...   # user:crypt-hash  -> Basic auth
    client1:*                                       # user:*           -> any certificate serial
    ThirdPartyApp:3,4,0x1F                          # user:serial,...  -> listed serials only

A value starting with ``$`` is a password hash, anything else a certificate serial list.
Serials are decimal (as ``openssl x509 -set_serial 3``) or hexadecimal with ``0x``; they
compare as integers. A user may have both a hash line and a serial line.

IP lists file (the DMS's ``DMS_JSON_IPS.cfg``): sections ``[nonSSL_Blocked]``,
``[nonSSL_Allowed]``, ``[SSL_Blocked]``, ``[SSL_Allowed]``, each followed by one CIDR
range (or address) per line; ``#`` starts a comment line. :data:`SHIPPED_IP_LISTS` is
the file a DMS writes on its first start (2.4.3.1), available as an opt-in preset
(:meth:`IPLists.shipped`, ``dmsproto serve --shipped-ip-lists``); it is not our
default because its two private ranges are the manufacturer's portals ("MST
portals"), not the user's network.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dmsproto.sim.shacrypt import verify

__all__ = ["SHIPPED_IP_LISTS", "IPLists", "Network", "Users", "certificate_identity",
           "parse_basic_auth"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
ANY_SERIAL: Literal["*"] = "*"

SHIPPED_IP_LISTS = """\
# IP list for DMS JSON communication

[nonSSL_Blocked]
# None

[nonSSL_Allowed]
# Any connection from local host
127.0.0.1
# MST portals
192.168.96.0/20
172.18.8.0/23

[SSL_Blocked]
# None

[SSL_Allowed]
# Any connection
0.0.0.0/0
"""
"""``DMS_JSON_IPS.cfg`` as a DMS writes it on its first start (document 2.4.3.1)."""


def _networks(items: Iterable[str | Network]) -> tuple[Network, ...]:
    return tuple(
        item if not isinstance(item, str) else ipaddress.ip_network(item.strip(), strict=False)
        for item in items
    )


def _normalise(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


@dataclass(frozen=True)
class IPLists:
    """CIDR block and allow lists, separately for plain and TLS connections.

    The defaults are the DMS's: plain only from the local host, TLS from anywhere.
    (``::1`` is added to the DMS's ``127.0.0.1`` so an IPv6 loopback bind works.)
    """

    plain_allowed: tuple[Network, ...] = _networks(["127.0.0.1/32", "::1/128"])
    plain_blocked: tuple[Network, ...] = ()
    tls_allowed: tuple[Network, ...] = _networks(["0.0.0.0/0", "::/0"])
    tls_blocked: tuple[Network, ...] = ()

    @classmethod
    def of(
        cls,
        *,
        plain_allowed: Iterable[str | Network] | None = None,
        plain_blocked: Iterable[str | Network] = (),
        tls_allowed: Iterable[str | Network] | None = None,
        tls_blocked: Iterable[str | Network] = (),
    ) -> IPLists:
        """Build from strings such as ``"10.0.0.0/8"``; ``None`` keeps a default allow list."""
        default = cls()
        return cls(
            plain_allowed=default.plain_allowed if plain_allowed is None
            else _networks(plain_allowed),
            plain_blocked=_networks(plain_blocked),
            tls_allowed=default.tls_allowed if tls_allowed is None else _networks(tls_allowed),
            tls_blocked=_networks(tls_blocked),
        )

    @classmethod
    def parse(cls, text: str) -> IPLists:
        """Parse the DMS's ``DMS_JSON_IPS.cfg`` format (unknown sections are errors)."""
        sections: dict[str, list[str]] = {
            "nonssl_blocked": [], "nonssl_allowed": [], "ssl_blocked": [], "ssl_allowed": [],
        }
        current: list[str] | None = None
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                name = line[1:-1].strip().lower()
                if name not in sections:
                    raise ValueError(f"line {number}: unknown section {line}")
                current = sections[name]
                continue
            if current is None:
                raise ValueError(f"line {number}: address outside a section")
            current.append(line)
        return cls(
            plain_allowed=_networks(sections["nonssl_allowed"]),
            plain_blocked=_networks(sections["nonssl_blocked"]),
            tls_allowed=_networks(sections["ssl_allowed"]),
            tls_blocked=_networks(sections["ssl_blocked"]),
        )

    @classmethod
    def shipped(cls) -> IPLists:
        """The lists of ``SHIPPED_IP_LISTS``, as a DMS ships them.

        Plain from 127.0.0.1 and the two portal ranges, TLS from any IPv4 address
        (IPv6 not at all, as in the file).
        """
        return cls.parse(SHIPPED_IP_LISTS)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> IPLists:
        """Read a ``DMS_JSON_IPS.cfg`` file."""
        return cls.parse(Path(path).read_text(encoding="utf-8"))

    def permits(self, address: str, *, tls: bool) -> bool:
        """Whether a client at ``address`` may connect (block list first, then allow list)."""
        try:
            ip = _normalise(address)
        except ValueError:
            return False
        if tls:
            blocked, allowed = self.tls_blocked, self.tls_allowed
        else:
            blocked, allowed = self.plain_blocked, self.plain_allowed
        if any(ip.version == net.version and ip in net for net in blocked):
            return False
        return any(ip.version == net.version and ip in net for net in allowed)


def _parse_serials(value: str, number: int) -> frozenset[int] | Literal["*"]:
    serials: set[int] = set()
    for part in value.split(","):
        part = part.strip()
        if part == ANY_SERIAL:
            return ANY_SERIAL
        try:
            serials.add(int(part, 16) if part.lower().startswith("0x") else int(part, 10))
        except ValueError:
            raise ValueError(f"line {number}: bad certificate serial {part!r}") from None
    return frozenset(serials)


@dataclass(frozen=True)
class Users:
    """Password hashes and certificate serials per user name (see the module docstring)."""

    passwords: Mapping[str, str] = field(default_factory=dict)
    certificates: Mapping[str, frozenset[int] | Literal["*"]] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Users:
        """Read the text of users files: ``user:hash`` and ``user:serials`` lines."""
        passwords: dict[str, str] = {}
        certificates: dict[str, frozenset[int] | Literal["*"]] = {}
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            name, sep, value = line.partition(":")
            name, value = name.strip(), value.strip()
            if not sep or not name or not value:
                raise ValueError(f"line {number}: expected 'user:hash' or 'user:serials'")
            if value.startswith("$"):
                passwords[name] = value.split()[0]
            else:
                serials = _parse_serials(value.split("#", 1)[0], number)
                old = certificates.get(name, frozenset[int]())
                if old == ANY_SERIAL or serials == ANY_SERIAL:
                    certificates[name] = ANY_SERIAL
                else:
                    assert not isinstance(old, str) and not isinstance(serials, str)
                    certificates[name] = old | serials
        return cls(passwords=passwords, certificates=certificates)

    @classmethod
    def load(cls, *paths: str | os.PathLike[str]) -> Users:
        """Read one or more users files (e.g. the DMS's users file and clients file)."""
        text = "\n".join(Path(p).read_text(encoding="utf-8") for p in paths)
        return cls.parse(text)

    def check_password(self, user: str, password: str) -> bool:
        """Whether ``password`` is ``user``'s (against its crypt hash)."""
        hashed = self.passwords.get(user)
        return hashed is not None and verify(password, hashed)

    def check_certificate(self, common_name: str, serial: int) -> bool:
        """Whether a client certificate with this name and serial is let in."""
        allowed = self.certificates.get(common_name)
        if allowed is None:
            return False
        return allowed == ANY_SERIAL or serial in allowed


def parse_basic_auth(header: bytes | None) -> tuple[str, str] | None:
    """``(user, password)`` from an ``Authorization: Basic ...`` value, else None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(b" ")
    if scheme.lower() != b"basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def certificate_identity(peer_cert: Mapping[str, Any] | None) -> tuple[str, int] | None:
    """``(CN, serial)`` of a verified peer certificate from ``SSLObject.getpeercert()``."""
    if not peer_cert:
        return None
    common_name = None
    for rdn in peer_cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                common_name = value
    serial_text = peer_cert.get("serialNumber")
    if common_name is None or not isinstance(serial_text, str):
        return None
    try:
        return common_name, int(serial_text, 16)
    except ValueError:
        return None
