"""JUnit XML: one test case per operation and check, failed with every finding of that pair."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from mockgate.reports.findings import Report

__all__ = ["write_junit"]


def write_junit(report: Report, path: Path) -> None:
    matrix = report.matrix()
    cases = [(op, check) for op, checks in sorted(matrix.items()) for check in sorted(checks)]
    failures = sum(1 for op, check in cases if matrix[op][check][1])
    suite = ET.Element(
        "testsuite",
        name=f"mockgate.{report.api}",
        tests=str(len(cases) + len(report.errors)),
        failures=str(failures),
        errors=str(len(report.errors)),
        skipped=str(len(report.skipped)),
        time=f"{report.elapsed:.3f}",
    )
    ET.SubElement(
        ET.SubElement(suite, "properties"), "property", name="target", value=report.target
    )
    for operation, check in cases:
        case = ET.SubElement(
            suite, "testcase", classname=f"{report.api}.{operation}", name=check, time="0"
        )
        for finding in report.findings:
            if (finding.operation, finding.check) == (operation, check):
                failure = ET.SubElement(case, "failure", message=finding.message[:500])
                failure.text = "\n".join([finding.message, "", *finding.reproduction])
    for error in report.errors:
        case = ET.SubElement(suite, "testcase", classname=f"{report.api}.suite", name="run")
        ET.SubElement(case, "error", message=error[:500]).text = error
    for reason in report.skipped:
        case = ET.SubElement(suite, "testcase", classname=f"{report.api}.suite", name="skipped")
        ET.SubElement(case, "skipped", message=reason)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
