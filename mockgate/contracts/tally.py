"""What one schemathesis scenario adds to a report beyond its failures: which checks judged
something (a check that had nothing to judge is not a pass), the time spent judging, and the
exchanges a failure happened on (the requests as sent, the responses as received).

schemathesis records a success for every check it ran on a response, whether or not the check
had anything to say about it: ``negative_data_rejection`` on a valid request,
``unsupported_method`` on a documented method. ``judged`` says when one of its checks looked
at something; mockgate's own response checks say it themselves (``NotApplicable``).
"""

from __future__ import annotations

from typing import Any

from schemathesis.core.parameters import ParameterLocation
from schemathesis.engine import Status
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario

from mockgate.reports.exchange import Exchange
from mockgate.reports.findings import Report

__all__ = ["exchanges_of", "judged", "operation_of", "spend"]


def operation_of(case: Any) -> str:
    operation_id: str = case.operation.definition.raw.get("operationId", case.operation.label)
    return operation_id


def judged(check: str, node: Any, case_id: str, recorder: Any) -> bool:
    """Whether ``check``'s recorded success (``node``) on case ``case_id`` judged anything."""
    if node.status != Status.SUCCESS:
        return False  # a check that crashed judged nothing
    case_node = recorder.cases.get(case_id)
    if case_node is None:
        return True
    case = case_node.value
    meta = case.meta
    if check == "negative_data_rejection":
        return meta is None or meta.generation.mode.is_negative
    if check == "positive_data_acceptance":
        return meta is None or meta.generation.mode.is_positive
    if check in ("missing_required_header", "unsupported_method"):
        data = meta.phase.data if meta is not None else None
        if not isinstance(data, CoveragePhaseData):
            return False
        if check == "unsupported_method":
            return data.scenario == CoverageScenario.UNSPECIFIED_HTTP_METHOD
        return (
            data.scenario == CoverageScenario.MISSING_PARAMETER
            and data.parameter_location == ParameterLocation.HEADER
        )
    if check == "ignored_auth":
        # Only a success says anything about enforcement (a refusal may be for any reason).
        response = recorder.find_response(case_id=case_id)
        return response is not None and 200 <= response.status_code < 300
    if check == "use_after_free":
        return case.operation.method.lower() != "delete" and any(
            related.operation.method.lower() == "delete"
            for related in recorder.find_related(case_id=case_id)
        )
    if check == "ensure_resource_availability":
        return recorder.find_parent(case_id=case_id) is not None
    return True  # the response checks: every response is theirs to judge


def exchanges_of(recorder: Any, case_ids: list[str]) -> tuple[Exchange, ...]:
    """The exchanges of ``case_ids`` (a failure's reproduction steps), oldest first; empty when
    one of them was not recorded."""
    found = []
    for case_id in case_ids:
        interaction = recorder.interactions.get(case_id)
        case_node = recorder.cases.get(case_id)
        if interaction is None or interaction.response is None or case_node is None:
            return ()
        request, response, case = interaction.request, interaction.response, case_node.value
        found.append(
            Exchange(
                operation_id=operation_of(case),
                method=request.method.upper(),
                path=case.operation.path,
                url=request.uri,
                status=response.status_code,
                response_headers={k.lower(): ", ".join(v) for k, v in response.headers.items()},
                content=response.content or b"",
                headers={k: ", ".join(v) for k, v in request.headers.items()},
                request_content=request.body,
            )
        )
    return tuple(found)


def spend(recorder: Any, elapsed: float, report: Report) -> None:
    """Share the scenario's ``elapsed`` seconds among the checks that judged its cases: each
    case gets a share in proportion to its response time, split evenly among its judged checks
    (a scenario tests one operation outside the stateful phase, so that operation's checks get
    all of it)."""
    judged_by: dict[str, list[str]] = {}
    for case_id, nodes in recorder.checks.items():
        case_node = recorder.cases.get(case_id)
        if case_node is None:
            continue
        names = [
            _public(node.name)
            for node in nodes
            if node.failure_info is not None or judged(_public(node.name), node, case_id, recorder)
        ]
        if names:
            judged_by[case_id] = names
    if not judged_by or elapsed <= 0:
        return
    weights = {}
    for case_id in judged_by:
        response = recorder.find_response(case_id=case_id)
        weights[case_id] = max(response.elapsed, 0.0) if response is not None else 0.0
    total = sum(weights.values())
    for case_id, names in judged_by.items():
        share = elapsed * (weights[case_id] / total if total else 1 / len(judged_by))
        operation = operation_of(recorder.cases[case_id].value)
        for name in names:
            report.spend(operation, name, share / len(names))


def _public(name: str) -> str:
    return name.removeprefix("mockgate_")
