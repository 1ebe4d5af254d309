"""`filter_match`: every record a list returns matches the filters the request asked for."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mockgate.contracts.checks.support import parse_instant, record_id, records
from mockgate.contracts.registry import NotApplicable, response_check
from mockgate.openapi.catalog import ApiSpec
from mockgate.reports.exchange import Exchange

__all__ = ["FILTERS", "Filter", "filter_match"]

_MAX_REPORTED = 3


@dataclass(frozen=True)
class Filter:
    """One query filter: `param` restricts the records' `field` by `rule`."""

    param: str
    field: str
    rule: str  # "exact" | "one_of" | "any_tag" | "contains" | "from" | "to"


# What each filter promises, per API and operation. Only what every reading of the documents
# agrees on is enforced:
# - agentlens `status` and `tags` are comma-separated lists; values are compared both as sent
#   and trimmed (the real server does not trim, the mock does). `tags`: the document does not say
#   whether a session needs all or any of the tags, so only "at least one" is enforced (a server
#   requiring all of them satisfies that too).
# - agentlens `from`/`to` are the "time range": only a session wholly outside it is wrong, i.e.
#   one that ended before `from` or started after `to`. That holds whether a server compares
#   `startedAt` (the real server and the mock), `endedAt`, or the session's overlap with the range.
# - state-tracking filters are exact matches on the record's field, judged only when the record
#   has that field; `hostname` may be a partial match, so only case-insensitive containment.
# An empty filter value (`?status=`) is treated as no filter, as the real servers do.
FILTERS: dict[str, dict[str, tuple[Filter, ...]]] = {
    "agentlens": {
        "listSessions": (
            Filter("agentId", "agentId", "exact"),
            Filter("status", "status", "one_of"),
            Filter("tags", "tags", "any_tag"),
            Filter("from", "startedAt", "from"),
            Filter("to", "startedAt", "to"),
        ),
    },
    "state-tracking": {
        "listSessions": (
            Filter("status", "status", "exact"),
            Filter("project_id", "project_id", "exact"),
            Filter("machine_id", "machine_id", "exact"),
        ),
        "findActiveSessions": (
            Filter("project_id", "project_id", "exact"),
            Filter("machine_id", "machine_id", "exact"),
        ),
        "listTasks": (
            Filter("session_id", "session_id", "exact"),
            Filter("status", "status", "exact"),
            Filter("project_id", "project_id", "exact"),
        ),
        "listMachines": (
            Filter("status", "status", "exact"),
            Filter("hostname", "hostname", "contains"),
        ),
    },
}


@response_check("filter_match", apis=tuple(FILTERS))
def filter_match(exchange: Exchange, api: ApiSpec) -> Iterator[str]:
    """Every record a list returns matches every filter the request asked for (agentlens
    `agentId`/`status`/`from`/`to`/`tags`; state-tracking `status`, `project_id`,
    `machine_id`, `session_id`, `hostname`).

    Where the documents leave the meaning open, only what every reading agrees on is enforced:
    `tags` needs at least one of the tags, `from`/`to` only rule out sessions wholly
    outside the range, `hostname` is a case-insensitive partial match, and a record without
    the filtered field is not judged.
    """
    filters = FILTERS.get(api.name, {}).get(exchange.operation_id)
    found = records(exchange.json) if filters and 200 <= exchange.status < 300 else None
    if not filters or found is None:
        raise NotApplicable
    where, items = found
    judged = False
    for flt in filters:
        raw = exchange.query.get(flt.param)
        if raw is None or isinstance(raw, list | tuple | dict) or str(raw).strip() == "":
            continue
        matcher = _MATCHERS[flt.rule](str(raw))
        if matcher is None:
            continue  # a value no rule can be derived from (e.g. not a date-time)
        judged = True
        wrong = [
            (index, record)
            for index, record in enumerate(items)
            if isinstance(record, Mapping) and matcher(record, flt.field) is False
        ]
        for index, record in wrong[:_MAX_REPORTED]:
            label = f"{where or 'body'}[{index}]"
            rid = record_id(record)
            shown = _shown(record, flt)
            yield (
                f"{label}{f' ({rid})' if rid else ''} has {shown}, but the request asked for "
                f"{flt.param}={raw!s}"
            )
        if len(wrong) > _MAX_REPORTED:
            yield f"... and {len(wrong) - _MAX_REPORTED} more records not matching {flt.param}"
    if not judged:
        raise NotApplicable  # the request asked for no filter


def _shown(record: Mapping[str, Any], flt: Filter) -> str:
    if flt.rule in ("from", "to"):
        return f"startedAt {record.get('startedAt')!r} and endedAt {record.get('endedAt')!r}"
    return f"{flt.field} {record.get(flt.field)!r}"


# A matcher answers True (matches), False (does not) or None (cannot be judged) for a record.
Matcher = Callable[[Mapping[str, Any], str], "bool | None"]


def _values(raw: str) -> set[str]:
    parts = raw.split(",")
    return {p for p in parts if p} | {p.strip() for p in parts if p.strip()}


def _exact(raw: str) -> Matcher:
    def match(record: Mapping[str, Any], field: str) -> bool | None:
        if field not in record or record[field] is None:
            return None if field not in record else False
        return str(record[field]) == raw or _scalar(record[field]) == raw

    return match


def _one_of(raw: str) -> Matcher | None:
    wanted = _values(raw)
    if not wanted:
        return None

    def match(record: Mapping[str, Any], field: str) -> bool | None:
        if field not in record:
            return None
        return record[field] in wanted

    return match


def _any_tag(raw: str) -> Matcher | None:
    wanted = _values(raw)
    if not wanted:
        return None

    def match(record: Mapping[str, Any], field: str) -> bool | None:
        tags = record.get(field)
        if not isinstance(tags, list):
            return None
        return any(tag in wanted for tag in tags)

    return match


def _contains(raw: str) -> Matcher:
    needle = raw.casefold()

    def match(record: Mapping[str, Any], field: str) -> bool | None:
        value = record.get(field)
        if not isinstance(value, str):
            return None
        return needle in value.casefold()

    return match


def _from(raw: str) -> Matcher | None:
    bound = parse_instant(raw)
    if bound is None:
        return None

    def match(record: Mapping[str, Any], field: str) -> bool | None:
        if "endedAt" not in record:
            return None
        ended = record.get("endedAt")
        if ended is None:  # still running: overlaps any range that starts before now
            return None
        instant = parse_instant(ended)
        return None if instant is None else instant >= bound

    return match


def _to(raw: str) -> Matcher | None:
    bound = parse_instant(raw, round_up=True)
    if bound is None:
        return None

    def match(record: Mapping[str, Any], field: str) -> bool | None:
        instant = parse_instant(record.get(field))
        return None if instant is None else instant <= bound

    return match


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


_MATCHERS: dict[str, Callable[[str], Matcher | None]] = {
    "exact": _exact,
    "one_of": _one_of,
    "any_tag": _any_tag,
    "contains": _contains,
    "from": _from,
    "to": _to,
}
