"""What a load run saw: every answer by label, every server error and failed exchange."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Ledger:
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)  # transport errors, timeouts

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    async def send(
        self, client: httpx.AsyncClient, label: str, method: str, url: str, **kwargs: Any
    ) -> httpx.Response | None:
        """The answer to one request (None when the exchange itself failed), recorded."""
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.broken.append(f"{label}: {method} {url}: {type(exc).__name__}: {exc}")
            return None
        self.statuses[(label, response.status_code)] += 1
        if response.status_code >= 500:
            self.server_errors.append(
                f"{label}: {method} {url} -> {response.status_code} {response.text[:300]}"
            )
        return response

    def count(self, label: str, status: int) -> int:
        return self.statuses[(label, status)]

    def summary(self) -> str:
        return ", ".join(
            f"{label} {status}: {n}" for (label, status), n in sorted(self.statuses.items())
        )
