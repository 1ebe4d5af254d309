"""The fasting-tracker mock: per-user completed fasts, cursor pages, next-auth style sign-in."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from mockgate.apis.base import MockApi
from mockgate.apis.fasting import handlers
from mockgate.apis.fasting.dataset import docs_dataset, generate
from mockgate.apis.fasting.users import User, holder_of
from mockgate.core.errors import ApiError, RequestInfo
from mockgate.core.store import Snapshot
from mockgate.openapi.security import Principal

__all__ = ["API", "Fasting"]

# The document's texts for the statuses it shows; other statuses say what went wrong.
_DOCUMENTED = {401: "Unauthorized", 500: "Internal server error"}


class Fasting(MockApi):
    name = "fasting"
    handlers = handlers
    internal_collections: ClassVar[tuple[str, ...]] = ("users", "sessions")

    def seed(self, dataset: str, seed: int, now: datetime) -> Snapshot:
        data = docs_dataset() if dataset == "docs" else generate(seed, now)
        sessions = {} if dataset == "empty" else {s["id"]: dict(s) for s in data["sessions"]}
        return {"users": {u["id"]: dict(u) for u in data["users"]}, "sessions": sessions}

    def authenticate(self, ctx: Any, credential: str) -> Principal | None:
        users = [User.from_dict(u) for u in ctx.store.values("users")]
        user = holder_of(users, credential)
        return None if user is None else Principal(user.id)

    def error_body(self, error: ApiError, request: RequestInfo) -> dict[str, Any]:
        return {"error": _DOCUMENTED.get(error.status, error.message)}

    def credentials_help(self, ctx: Any) -> list[str]:
        return [
            f"{u['name']} <{u['email']}>: Authorization: Bearer {u['token']}"
            f"  or cookie authjs.session-token={u['token']}"
            for u in ctx.store.values("users")
        ]


API = Fasting()
