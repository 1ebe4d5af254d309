"""Text from the wire made safe to show: every report carries what a server answered and what
was fuzzed into a request, and neither may break the file or the terminal it is written to."""

from __future__ import annotations

import re

__all__ = ["printable", "shorten"]

# What XML 1.0 forbids (C0 controls but tab and newline - CR too, which parsers turn into a
# newline -, lone surrogates, U+FFFE/U+FFFF), plus DEL and the C1 controls, which XML allows but
# a terminal obeys (0x9B starts an escape sequence).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every character that XML 1.0, UTF-8 or a terminal cannot take written as
    a visible escape (``\\x1c``, ``\\udc80``): the report stays well-formed and says what came."""
    return _UNPRINTABLE.sub(_escape, text)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"
