"""JUnit XML: one test case per operation and check, failed with every finding of that pair,
skipped where the check had nothing to judge; its time is the time spent judging it. With
``--min-coverage`` thresholds, one test case ``coverage``, failed with the ones left unmet.

Whatever a server answered or a fuzzer sent, the file is well-formed XML 1.0 (characters XML
cannot hold are written as visible escapes) and holds none of the run's credentials."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from mockgate.reports.evidence import finding_text
from mockgate.reports.findings import Report
from mockgate.reports.text import printable, shorten

__all__ = ["write_junit"]


def write_junit(report: Report, path: Path) -> None:
    matrix = report.matrix()
    cases = [(op, check) for op, checks in sorted(matrix.items()) for check in sorted(checks)]
    failures = sum(1 for op, check in cases if matrix[op][check][1])
    not_applicable = [
        (op, check) for op, checks in report.not_applicable().items() for check in checks
    ]
    # An interrupted run is an error of the suite, so no CI tool reads it as a pass.
    interrupted = (
        [f"interrupted ({report.interrupted}): the run is incomplete"] if report.incomplete else []
    )
    # Advisories outside strict mode: reported, apart, without failing anything.
    advisories = [] if report.strict else report.advisories
    # The --min-coverage thresholds: one test case, failed with every threshold left unmet.
    gated = report.coverage is not None and bool(report.coverage.thresholds)
    shortfalls = report.coverage_shortfalls
    suite = ET.Element(
        "testsuite",
        name=f"mockgate.{report.api}",
        tests=str(
            len(cases)
            + len(advisories)
            + len(not_applicable)
            + len(report.errors)
            + len(interrupted)
            + gated
        ),
        failures=str(failures + bool(shortfalls)),
        errors=str(len(report.errors) + len(interrupted)),
        skipped=str(len(report.skipped) + len(not_applicable)),
        time=f"{report.elapsed:.3f}",
    )
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="target", value=report.target)
    ET.SubElement(properties, "property", name="incomplete", value=str(report.incomplete).lower())
    if report.seed is not None:
        ET.SubElement(properties, "property", name="seed", value=str(report.seed))
    ET.SubElement(properties, "property", name="strict", value=str(report.strict).lower())
    for operation, check in cases:
        seconds = report.durations.get((operation, check), 0.0)
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{report.api}.{operation}",
            name=check,
            time=f"{seconds:.3f}",
        )
        for finding in report.failures:
            if (finding.operation, finding.check) == (operation, check):
                failure = ET.SubElement(
                    case, "failure", type=finding.kind, message=shorten(finding.message, 500)
                )
                failure.text = finding_text(finding, report.secrets)
    for finding in advisories:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{report.api}.{finding.operation}",
            name=f"{finding.check} (advisory)",
            time="0.000",
        )
        ET.SubElement(case, "system-out").text = finding_text(finding, report.secrets)
    for operation, check in sorted(not_applicable):
        case = ET.SubElement(
            suite, "testcase", classname=f"{report.api}.{operation}", name=check, time="0.000"
        )
        ET.SubElement(case, "skipped", message=f"not applicable: {check} judged nothing here")
    if gated:
        case = ET.SubElement(suite, "testcase", classname=f"{report.api}.suite", name="coverage")
        if shortfalls:
            text = "\n".join(s.describe(shown=50) for s in shortfalls)
            failure = ET.SubElement(
                case, "failure", type="coverage", message=shorten(text.splitlines()[0], 500)
            )
            failure.text = text
    for error in report.errors:
        case = ET.SubElement(suite, "testcase", classname=f"{report.api}.suite", name="run")
        ET.SubElement(case, "error", message=error[:500]).text = error
    for message in interrupted:
        case = ET.SubElement(suite, "testcase", classname=f"{report.api}.suite", name="interrupted")
        ET.SubElement(case, "error", type="interrupted", message=message).text = message
    for reason in report.skipped:
        case = ET.SubElement(suite, "testcase", classname=f"{report.api}.suite", name="skipped")
        ET.SubElement(case, "skipped", message=reason)
    root = ET.Element("testsuites")
    root.append(suite)
    for element in root.iter():
        element.text = element.text and printable(report.secrets.redact(element.text))
        for name, value in element.attrib.items():
            element.attrib[name] = printable(report.secrets.redact(value))
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = ET.tostring(root, encoding="unicode")
    path.write_text(f"<?xml version='1.0' encoding='utf-8'?>\n{text}\n", encoding="utf-8")
