"""Whether ``mockgate proxy`` would forward to itself: decided at start-up, on addresses.

A host name is only a spelling: ``localhost``, ``127.1``, ``0x7f.1``, ``2130706433``, ``[::1]``
and ``[::ffff:127.0.0.1]`` all reach this machine's loopback. So the upstream's host and the
proxy's listening host are resolved (``getaddrinfo``) and normalised (``ipaddress``, an
IPv4-mapped IPv6 address as its IPv4 one) before they are compared. On the proxy's own port,
the upstream is the proxy itself when it is an address the proxy listens on: any address of
this machine when the proxy listens on all of them (``0.0.0.0``, ``::``), any loopback address
(and ``0.0.0.0`` as a destination, which is the loopback) when it listens on one.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

__all__ = ["IPAddress", "is_local", "loops_back", "resolve"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_DEFAULT_PORTS = {"http": 80, "https": 443}


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (none when it does not resolve)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [str(info[4][0]) for info in found]


def is_local(address: IPAddress) -> bool:
    """Whether ``address`` is one of this machine's: a socket can be bound to it."""
    if address.is_loopback or address.is_unspecified:
        return True
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((str(address), 0))
    except OSError:
        return False
    return True


def loops_back(
    upstream: str,
    host: str,
    port: int,
    *,
    resolver: Callable[[str, int], list[str]] = resolve,
    local: Callable[[IPAddress], bool] = is_local,
) -> str | None:
    """Why a proxy listening on ``host:port`` would forward to itself with ``upstream`` as
    its upstream (one sentence), or None."""
    parts = urlsplit(upstream)
    try:
        target_port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 80)
    except ValueError:  # not a port at all: the upstream cannot be this proxy
        return None
    if target_port != port or not parts.hostname:
        return None
    listening = _addresses(resolver(host, port))
    for address in _addresses(resolver(parts.hostname, target_port)):
        if local(address) and any(_reaches(address, own) for own in listening):
            return (
                f"{upstream} is {address} port {port}, where this proxy listens "
                f"(--host {host} --port {port}): it would forward to itself; choose another "
                "--port (the upstream usually has the API's documented port)"
            )
    return None


def _reaches(address: IPAddress, listening: IPAddress) -> bool:
    """Whether a connection to ``address`` (one of this machine's) reaches a socket listening
    on ``listening``."""
    if listening.is_unspecified or address == listening:
        return True
    return (address.is_loopback or address.is_unspecified) and listening.is_loopback


def _addresses(found: Iterable[str]) -> list[IPAddress]:
    addresses: list[IPAddress] = []
    for text in found:
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])  # no IPv6 zone
        except ValueError:
            continue
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        addresses.append(address)
    return addresses
