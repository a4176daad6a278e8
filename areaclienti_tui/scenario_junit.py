"""A JUnit XML report of a scenario run, for CI servers (``scenario --junit FILE``).

One ``<testcase>`` per scenario file (name: the file's name, classname
``scenari``, time in seconds). A failed step gives a ``<failure>`` whose message
names the step, what was expected and what was seen; a file that cannot be read
or is not a valid scenario, or a runner fault, gives an ``<error>``. Each case
carries the lines the runner printed for its file in ``<system-out>``.
Text is escaped by ElementTree; characters XML cannot hold at all (ESC and the
other C0 controls) are written as ``\\x1b``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

SUITE = "scenari"
CLASSNAME = "scenari"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: object) -> str:
    """Text XML 1.0 can hold: a character it cannot is written as its escape (\\x1b)."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _case(result: Any) -> tuple[ET.Element, str]:  # noqa: ANN401 - scenario.FileResult
    """The testcase of one file and its kind: "ok", "failure" or "error"."""
    path = Path(result.path)
    case = ET.Element("testcase", name=xml_text(path.name), classname=CLASSNAME,
                      time=_seconds(result.seconds), file=xml_text(path))
    kind = "ok"
    failed = result.failed_step if result.status == "fallito" else None
    if failed is not None:
        kind = "failure"
        message = f"passo {failed.step.number} {failed.step.describe()} — {failed.detail}"
        element = ET.SubElement(case, "failure", message=xml_text(message), type="passo fallito")
        element.text = xml_text(result.failure or message)
    elif result.status == "non valido":
        kind = "error"
        element = ET.SubElement(case, "error", message=xml_text(result.failure), type="file non valido")
        element.text = xml_text(result.failure)
    elif not result.passed:  # the runner itself failed on this file
        kind = "error"
        element = ET.SubElement(case, "error", message=xml_text(result.failure), type="errore del runner")
        element.text = xml_text(result.failure)
    lines: Sequence[str] = getattr(result, "lines", ()) or ()
    if lines:
        ET.SubElement(case, "system-out").text = xml_text("\n".join(lines) + "\n")
    return case, kind


def junit_xml(results: Iterable[Any], *, suite: str = SUITE) -> bytes:
    """The report as UTF-8 bytes, with the XML declaration."""
    cases = [_case(result) for result in results]
    total = sum(float(case.get("time") or 0) for case, _kind in cases)
    counts = {
        "tests": str(len(cases)),
        "failures": str(sum(kind == "failure" for _case_, kind in cases)),
        "errors": str(sum(kind == "error" for _case_, kind in cases)),
        "skipped": "0",
        "time": _seconds(total),
    }
    root = ET.Element("testsuites", name=suite, **counts)
    testsuite = ET.SubElement(root, "testsuite", name=suite,
                              timestamp=datetime.now(timezone.utc).isoformat(timespec="seconds"), **counts)
    testsuite.extend(case for case, _kind in cases)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def write_junit(path: Path, results: Iterable[Any], *, suite: str = SUITE) -> None:
    """Write the report to `path` (OSError when it cannot be written)."""
    path.write_bytes(junit_xml(results, suite=suite))
