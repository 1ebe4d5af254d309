"""Fasting handlers: the signed-in user's page of completed fasts."""

from __future__ import annotations

from typing import Any

from mockgate.apis.context import MockContext
from mockgate.apis.fasting.paging import list_page, parse_page_size


async def list_sessions(
    ctx: MockContext, user: str, cursor: str | None = None, page_size: str | None = None
) -> tuple[Any, int]:
    page = list_page(
        ctx.store.values("sessions"),
        user_id=user,
        cursor=cursor,
        page_size=parse_page_size(page_size),
    )
    return page, 200
