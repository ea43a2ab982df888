"""Which hosts the bot may reach: one policy for every URL built from user input.

Hosts are read the way a resolver reads them (``normalize_host``: Unicode dots, IDNA/UTS-46,
trailing dot, case), and an address is private when it is anything but a global unicast one
(``is_private_address``: loopback, private, link-local, reserved, multicast, unspecified, also
inside IPv4-mapped, 6to4, Teredo and NAT64 IPv6). The client (bot/http/client.py) refuses private
literals before a request and drops private answers in its resolver at connect time, unless the
request's platform has ``allow_private_addresses = true``. Loopback is also what ``bot serve``
wants a token beyond, and the only place the simulator binds.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

import idna

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# How a request says whose it is (httpx request extensions, set by the platforms' send path).
PLATFORM_EXTENSION = "bot.platform"
ALLOW_PRIVATE_EXTENSION = "bot.allow_private_addresses"
# Dots a resolver or IDNA reads as "." (ideographic, fullwidth and halfwidth ideographic).
_DOTS = re.compile("[\u3002\uff0e\uff61]")
# Characters inet_aton reads as an IPv4 literal in its legacy forms (127.1, 0x7f.1, 2130706433).
_LEGACY_IPV4 = re.compile(r"[0-9A-Fa-fXx.]+")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# An ASCII DNS name as resolvers take it (underscores too, which IDNA 2008 would refuse).
_ASCII_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


def refusal(host: str) -> str:
    """The one line a refused host gets, naming the key that allows it."""
    return (
        f"refused: {host} resolves to a private address "
        "(set allow_private_addresses = true to allow)"
    )


def request_tag(platform: str, allow_private: bool) -> dict[str, object]:
    """The httpx request extensions saying whose request it is and what it may reach."""
    return {PLATFORM_EXTENSION: platform, ALLOW_PRIVATE_EXTENSION: allow_private}


def normalize_host(host: str) -> str:
    """``host`` as it will be resolved: ASCII, lower case, no trailing dot; ``ValueError`` if none.

    IP literals come back in their canonical form (``[::FFFF:127.0.0.1]`` -> ``::ffff:7f00:1``).
    """
    text = _DOTS.sub(".", host.strip()).strip("[]")
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    name = text[:-1] if text.endswith(".") else text
    if not name or any(ch.isspace() or ch in "/\\?#@:%" for ch in name):
        raise ValueError(f"not a host name: {host!r}")
    ascii_name = name.lower() if name.isascii() else _idna(name, host)
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or not all(_ASCII_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"not a host name: {host!r}")
    # Digits only, once mapped (fullwidth digits), or a legacy form resolvers still accept
    # (0177.0.0.1, 0x7f.1, 2130706433): an IPv4 literal in its canonical form.
    address = literal_address(ascii_name)
    return str(address) if address is not None else ascii_name


def _idna(name: str, written: str) -> str:
    """A Unicode name in ASCII: UTS-46 maps fullwidth forms and case, IDNA 2008 checks labels."""
    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError:
        raise ValueError(f"not a host name: {written!r}") from None


def outbound_url(url: str) -> str:
    """``url`` with its host normalised (what will be requested); ``ValueError`` if it has none.

    The fragment is dropped: it is never sent.
    """
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"no host in {url!r}")
    host = normalize_host(parts.hostname)
    shown = f"[{host}]" if ":" in host else host
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{shown}" if userinfo else shown
    if parts.port is not None:
        netloc += f":{parts.port}"
    return parts._replace(netloc=netloc, fragment="").geturl()


def outbound_origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, its host normalised; ``ValueError`` if it has none."""
    parts = urlsplit(outbound_url(url))
    return f"{parts.scheme.lower()}://{parts.netloc}"


def display_host(host: str) -> str:
    """A normalised host as users write it: Unicode labels decoded, ASCII otherwise."""
    try:
        return idna.decode(host)
    except idna.IDNAError:
        return host


def literal_address(host: str) -> IPAddress | None:
    """The IP address ``host`` spells literally (any form a resolver accepts), else None."""
    host = host.strip("[]").rstrip(".")
    try:
        address: IPAddress = ipaddress.ip_address(host)
    except ValueError:
        if not _LEGACY_IPV4.fullmatch(host):
            return None
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return address


def is_private_address(address: IPAddress) -> bool:
    """True for every address but a global unicast one, IPv4 inside IPv6 included."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and is_private_address(embedded):
            return True
    return (
        not address.is_global
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address.is_loopback
        or address.is_link_local
    )


def is_private_host(host: str) -> bool:
    """True for localhost names and private literals, however they are written."""
    try:
        name = normalize_host(host)
    except ValueError:
        name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    address = literal_address(name)
    return address is not None and is_private_address(address)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IPv4/IPv6 literals."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries to its destination (mapped, 6to4, Teredo, NAT64)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None
