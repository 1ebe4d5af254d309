"""Reading a cookie the way browsers send them, without the stdlib's failure modes.

``http.cookies.SimpleCookie`` (what Connexion uses) drops the whole header, or raises, when any
other cookie on the same host has a value it dislikes (a space, a quote, a bracket in a name),
which browsers send routinely. This follows RFC 6265 section 5.4 as browsers send it.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["cookie_values"]


def cookie_values(headers: Iterable[str], names: Iterable[str]) -> list[str]:
    """Every non-empty value of the cookies called one of ``names``, in header order.

    ``headers`` are the raw ``Cookie`` header lines. Pairs are split on ``;``, whitespace
    around names and values is dropped, and one pair of surrounding double quotes is removed.
    A repeated name (cookies set for different paths) yields each value, so a caller can try
    them all. Never raises.
    """
    wanted = set(names)
    found = []
    for header in headers:
        for pair in header.split(";"):
            name, sep, value = pair.partition("=")
            if not sep or name.strip() not in wanted:
                continue
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            if value:
                found.append(value)
    return found
