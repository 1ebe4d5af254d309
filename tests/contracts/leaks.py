"""A fasting server that is broken and careless with credentials: what the reports must never
repeat, and what their reproductions must still reproduce.

Each user's session token comes back in the answers to that user (a ``Location`` header and a
``debug`` field naming it), the first session of every page ends before it starts
(``completed_only``), and each user's page carries the other user's latest session
(``user_isolation``). Without a credential it answers as the mock does (401).
"""

from __future__ import annotations

from typing import Any

from tests.contracts import variants as v


def fasting_user(request: v.Request) -> str | None:
    """The session token a request to the fasting mock carries (cookie or bearer)."""
    cookie = request.header("cookie") or ""
    for part in cookie.split(";"):
        name, _, value = part.strip().partition("=")
        if name.endswith("authjs.session-token"):
            return value
    auth = request.header("authorization") or ""
    return auth.removeprefix("Bearer ") or None


def _echo_credential(request: v.Request, response: v.Response) -> v.Response:
    who = fasting_user(request)
    body = response.json
    if who and response.status == 200 and isinstance(body, dict):
        response.set_header("location", f"/api/sessions?token={who}")
        response.json = {**body, "debug": f"served to session {who}"}
    return response


def leaky_fasting(app: Any) -> v.Variant:
    """The fasting mock ``app`` with the behaviours above."""
    return v.Variant(
        app,
        "fasting",
        v.end_before_start("listSessions"),
        v.leak_between_users("listSessions", fasting_user),
        v.Mutation("echoes the credential", frozenset({"listSessions"}), response=_echo_credential),
    )
