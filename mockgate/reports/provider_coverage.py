"""What a ``verify`` run exercised of the contract, and the ``--min-coverage`` thresholds it is
held to.

The figures are the coverage model's (``reports.coverage``), fed with every exchange the run
made; a run adds what only it knows: the spec's named request examples it sent and the links it
followed. A threshold is met when ``covered * 100 >= percent * total`` (an area with nothing
documented meets any threshold); one unmet fails the gate like a finding does, saying what is
missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockgate.openapi.catalog import HTTP_METHODS, ApiSpec
from mockgate.reports.coverage import AREAS, Coverage, CoverageSummary, Ratio

__all__ = ["GATED_AREAS", "RunCoverage", "Shortfall", "Threshold"]

GATED_AREAS = AREAS
"""What ``--min-coverage`` can hold a run to (the issue names the first three)."""
_SHOWN = 5  # missing items named per area on the console and in a shortfall


@dataclass(frozen=True)
class Threshold:
    """At least ``percent`` % of ``area`` exercised."""

    area: str
    percent: float

    @classmethod
    def parse(cls, text: str) -> Threshold:
        """``statuses=60`` (``ValueError`` saying what is wrong otherwise)."""
        area, sep, value = text.partition("=")
        area = area.strip().replace("-", "_")
        if not sep or area not in GATED_AREAS:
            raise ValueError(f"{text!r}: expected AREA=PERCENT, AREA one of {', '.join(AREAS)}")
        try:
            percent = float(value.strip().removesuffix("%"))
        except ValueError:
            raise ValueError(f"{text!r}: {value!r} is not a percentage") from None
        if not 0 <= percent <= 100:
            raise ValueError(f"{text!r}: a percentage is between 0 and 100")
        return cls(area, percent)

    def met_by(self, ratio: Ratio) -> bool:
        return ratio.covered * 100 >= self.percent * ratio.total

    def __str__(self) -> str:
        return f"{self.area}={self.percent:g}"


@dataclass(frozen=True)
class Shortfall:
    """A threshold the run did not meet, and what it left out."""

    threshold: Threshold
    ratio: Ratio

    def describe(self, shown: int = _SHOWN) -> str:
        """``statuses 44% (20/45), below 60%; missing: listSessions 404, ... (+23 more)``."""
        ratio = self.ratio
        return (
            f"{self.threshold.area} {ratio.percent()} ({ratio.covered}/{ratio.total}), below "
            f"{self.threshold.percent:g}%; missing: {_some(ratio.missing, shown)}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "area": self.threshold.area,
            "required_percent": self.threshold.percent,
            **self.ratio.to_json(),
        }


@dataclass(frozen=True)
class RunCoverage:
    """A run's coverage, its summary against the spec and the thresholds it was held to."""

    coverage: Coverage
    summary: CoverageSummary
    examples: Ratio  # named request examples sent: "createSession minimal"
    links: Ratio  # links followed: "listSessions 200:GetSession"
    thresholds: tuple[Threshold, ...] = ()
    shortfalls: tuple[Shortfall, ...] = field(default=())

    @classmethod
    def judge(
        cls, coverage: Coverage, spec: ApiSpec, thresholds: Iterable[Threshold] = ()
    ) -> RunCoverage:
        summary = coverage.summary(spec)
        wanted = tuple(thresholds)
        shortfalls = tuple(
            Shortfall(t, summary.area(t.area)) for t in wanted if not t.met_by(summary.area(t.area))
        )
        return cls(
            coverage,
            summary,
            _ratio(documented_examples(spec), coverage, "examples"),
            _ratio(documented_links(spec), coverage, "links"),
            wanted,
            shortfalls,
        )

    def figures(self) -> list[tuple[str, Ratio]]:
        """Every area's ratio, named as a person reads it, in the order they are shown."""
        named = [(area.replace("_", " "), self.summary.area(area)) for area in AREAS]
        return [*named, ("examples", self.examples), ("links", self.links)]

    def lines(self, shown: int = _SHOWN) -> list[str]:
        """The console's summary: the figures, then the first of what was never exercised."""
        figures = " · ".join(
            f"{name} {r.covered}/{r.total} ({r.percent()})" for name, r in self.figures()
        )
        lines = [f"coverage: {figures}"]
        missing = (
            ("never called", self.summary.operations),
            ("statuses never seen", self.summary.statuses),
            ("parameters never sent", self.summary.parameters),
        )
        for label, ratio in missing:
            if ratio.missing:
                lines.append(f"  {label}: {_some(ratio.missing, shown)}")
        return lines

    def to_json(self) -> dict[str, Any]:
        """The summary (what the run exercised against what the spec documents) and the
        thresholds; the model's own data is ``coverage.to_json()``."""
        return {
            **self.summary.to_json(),
            "examples": self.examples.to_json(),
            "links": self.links.to_json(),
            "thresholds": {t.area: t.percent for t in self.thresholds},
            "shortfalls": [s.to_json() for s in self.shortfalls],
        }


def documented_examples(spec: ApiSpec) -> dict[str, list[tuple[str, Any]]]:
    """operation -> the named examples of its JSON request body: ``(name, value)``."""
    found: dict[str, list[tuple[str, Any]]] = {}
    for key, operation in _operations(spec):
        content = (operation.get("requestBody") or {}).get("content") or {}
        for media in content.values():
            for name, example in (media.get("examples") or {}).items():
                if isinstance(example, Mapping) and "value" in example:
                    found.setdefault(key, []).append((name, example["value"]))
    return found


def documented_links(spec: ApiSpec) -> dict[str, list[str]]:
    """operation -> its responses' links, as ``200:GetSession``."""
    found: dict[str, list[str]] = {}
    for key, operation in _operations(spec):
        for status, response in (operation.get("responses") or {}).items():
            for name in (response.get("links") or {}) if isinstance(response, Mapping) else ():
                found.setdefault(key, []).append(f"{status}:{name}")
    return found


def _operations(spec: ApiSpec) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every operation, keyed as the coverage model keys it."""
    for path, item in spec.resolved.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is not None:
                yield operation.get("operationId") or f"{method.upper()} {path}", operation


def _ratio(documented: Mapping[str, list[Any]], coverage: Coverage, counter: str) -> Ratio:
    covered, missing = 0, []
    for key, items in documented.items():
        usage = coverage.operations.get(key)
        used = getattr(usage, counter) if usage is not None else {}
        for item in items:
            name = item[0] if isinstance(item, tuple) else item
            if used.get(name):
                covered += 1
            else:
                missing.append(f"{key} {name}")
    return Ratio(covered, covered + len(missing), tuple(missing))


def _some(items: tuple[str, ...], shown: int) -> str:
    more = len(items) - shown
    return ", ".join(items[:shown]) + (f" (+{more} more)" if more > 0 else "")
