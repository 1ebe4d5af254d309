"""A request as a ``curl`` command that sends it again when pasted into bash: the bytes that were
sent (JSON bodies as sent, so valid JSON; any byte quoted so the shell passes it through), the
credentials read from their environment variables, never written out."""

from __future__ import annotations

from collections.abc import Mapping

from mockgate.reports.secrets import Secrets, shell_quote

__all__ = ["curl_command"]

# Headers curl writes itself, or that belong to the connection rather than the request.
TRANSPORT_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "accept-encoding",
        "user-agent",
        "transfer-encoding",
        "x-schemathesis-testcaseid",
    }
)


def curl_command(
    method: str,
    url: str,
    headers: Mapping[str, str],
    content: bytes | None,
    secrets: Secrets | None = None,
) -> str:
    """``curl -sS -i -g -X METHOD -H ... --data-raw ... URL``: ``-i`` shows the status and
    headers the finding is about, ``-g`` keeps ``[]``/``{}`` in the URL literal."""
    secrets = secrets or Secrets()
    method = method.upper()
    words = ["curl", "-sS", "-i", "-g"]
    # curl -X HEAD would wait for a body that never comes; --head does not.
    words += ["--head"] if method == "HEAD" else ["-X", shell_quote(method)]
    sent = {name.lower() for name in headers}
    for name, value in headers.items():
        if name.lower() in TRANSPORT_HEADERS or (name.lower() == "accept" and value == "*/*"):
            continue
        # "Name:" would make curl drop the header; "Name;" sends it empty.
        line = f"{name}: {value}" if value else f"{name};"
        words += ["-H", secrets.shell_word(line, latin1=True)]  # sent as latin-1, as clients do
    if content:
        if "content-type" not in sent:
            words += ["-H", shell_quote("Content-Type:")]  # none was sent: not curl's form type
        words += _data(content, secrets)
    words.append(secrets.shell_word(url))
    return " ".join(words)


def _data(content: bytes, secrets: Secrets) -> list[str]:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and "\x00" not in text:
        return ["--data-raw", secrets.shell_word(text)]
    # Bytes an argument cannot hold (NUL, invalid UTF-8): printf writes them, curl reads them.
    escaped = "".join(
        chr(byte) if 0x20 <= byte < 0x7F and byte != 0x5C else f"\\0{byte:03o}" for byte in content
    )
    return ["--data-binary", f"@<(printf '%b' {secrets.shell_word(escaped)})"]
