"""PiOrchestrator checks: evidence summaries against their captures, the before/after pair,
inline JPEGs, the image proxy, nulls where the dashboard rejects them, and the diagnostics list
against each session's evidence.

Every rule comes from `specs/piorchestrator.yaml` (its "Modelling choices") or the two documents
it models (`shared/api-docs/piorchestrator-*.md`). The API is read-only: no probe here writes.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from PIL import Image, UnidentifiedImageError

from mockgate.contracts.registry import NotApplicable, probe, response_check
from mockgate.contracts.session import ProbeSession
from mockgate.openapi.catalog import ApiSpec
from mockgate.reports.exchange import Exchange
from mockgate.reports.findings import Finding

__all__ = [
    "FINISHED",
    "TRAVERSAL_KEYS",
    "evidence_summary",
    "expected_summary",
    "image_data_jpeg",
    "image_proxy",
    "jpeg_problems",
    "optional_fields_not_null",
    "pair_consistency",
    "pair_matches_evidence",
    "session_counters_match_evidence",
]

API = ("piorchestrator",)
SUMMARY_FIELDS = (
    "total_captures",
    "successful_captures",
    "failed_captures",
    "has_before_open",
    "has_after_close",
    "pair_complete",
)
FINISHED = frozenset({"complete", "failed", "partial"})  # session statuses that no longer change
# Malformed image keys the spec says must be refused with 400 (traversal, absolute, backslash).
TRAVERSAL_KEYS = (
    "../../etc/passwd",
    "evidence/../../../etc/passwd",
    "/etc/passwd",
    "evidence\\..\\..\\etc\\passwd",
)
_JUDGED_LENGTH = 100  # image_data shorter than this is not judged (the document's placeholder)
_SOI, _EOI = b"\xff\xd8", b"\xff\xd9"
_WHITESPACE = re.compile(rb"\s+")
_MAX_REPORTED = 3
_SESSIONS = 10  # sessions whose evidence one probe reads
_IMAGES = 3  # images the proxy probe fetches


# --- evidence_summary --------------------------------------------------------------------------


def expected_summary(captures: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The summary that `captures` make: every attempt counts, `captured` ones are the
    successful ones, the others (`failed`, `timeout`) the failed ones; the pair flags come
    from the tags of the successful captures."""
    good = [c for c in captures if c.get("status") == "captured"]
    tags = {c.get("capture_tag") for c in good}
    before, after = "BEFORE_OPEN" in tags, "AFTER_CLOSE" in tags
    return {
        "total_captures": len(captures),
        "successful_captures": len(good),
        "failed_captures": len(captures) - len(good),
        "has_before_open": before,
        "has_after_close": after,
        "pair_complete": before and after,
    }


@response_check("evidence_summary", apis=API)
def evidence_summary(exchange: Exchange, api: ApiSpec) -> Iterator[str]:
    """A session's evidence `summary` agrees with its `captures`: `total_captures` is the
    number of captures, `successful_captures` those with status `captured`,
    `failed_captures` the others (`failed` and `timeout`: the document counts a camera
    timeout as a failed capture), `has_before_open` / `has_after_close` whether a successful
    capture has that tag, and `pair_complete` whether both do."""
    data = _data(exchange, "getSessionEvidence")
    captures = data.get("captures")
    summary = data.get("summary")
    if not isinstance(captures, list) or not isinstance(summary, Mapping):
        raise NotApplicable
    expected = expected_summary([c for c in captures if isinstance(c, Mapping)])
    for name in SUMMARY_FIELDS:
        if name in summary and summary[name] != expected[name]:
            yield (
                f"summary.{name} is {summary[name]!r}, but the captures make it {expected[name]!r}"
            )


def _object(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def _data(exchange: Exchange, operation: str) -> dict[str, Any]:
    if exchange.operation_id != operation or exchange.status != 200:
        return {}
    body = exchange.json
    data = body.get("data") if isinstance(body, Mapping) else None
    return data if isinstance(data, dict) else {}


# --- pair_consistency --------------------------------------------------------------------------


@response_check("pair_consistency", apis=API)
def pair_consistency(exchange: Exchange, api: ApiSpec) -> Iterator[str]:
    """A before/after pair's `pair_status` says how many slots are filled: `complete` when
    `before` and `after` are both captures, `incomplete` when exactly one is, `missing` when
    both are `null`; a filled slot's `session_id` and `container_id`, when given, are the
    pair's own.

    Nothing more is required of an incomplete pair: the spec makes `retry_after_seconds`
    optional ("may say when to ask again") and accepts `missing_reason` on any slot without
    requiring it, and `before`/`after` are BEFORE_OPEN/AFTER_CLOSE captures only "in the
    documents' examples", so slot tags are not judged either.
    """
    data = _data(exchange, "getSessionEvidencePair")
    if "before" not in data or "after" not in data or "pair_status" not in data:
        raise NotApplicable
    slots = {name: data[name] for name in ("before", "after")}
    filled = [name for name, slot in slots.items() if isinstance(slot, Mapping)]
    expected = ("missing", "incomplete", "complete")[len(filled)]
    if data["pair_status"] != expected:
        shown = ("neither slot is", f"only {''.join(filled)} is", "both slots are")[len(filled)]
        yield f"pair_status is {data['pair_status']!r}, but {shown} filled: that is {expected!r}"
    for name in filled:
        slot = slots[name]
        for key in ("session_id", "container_id"):
            if key in slot and key in data and slot[key] != data[key]:
                yield f"{name}.{key} is {slot[key]!r}, but the pair is of {data[key]!r}"


# --- image_data_jpeg ---------------------------------------------------------------------------


def jpeg_problems(image_data: str, size: Any = None, *, label: str = "image_data") -> Iterator[str]:
    """What is wrong with a base64 JPEG (``image_data``) of the stated ``size`` in bytes."""
    raw = _WHITESPACE.sub(b"", image_data.encode("ascii", "replace"))
    raw += b"=" * (-len(raw) % 4)  # browsers' forgiving base64 accepts missing padding
    try:
        decoded = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        yield f"{label} ({len(image_data)} characters) is not base64: {image_data[:40]!r}..."
        return
    if not decoded.startswith(_SOI):
        yield f"{label} does not decode to a JPEG: it starts {decoded[:4].hex(' ')}, not ff d8"
    elif not decoded.rstrip(b"\x00").endswith(_EOI):
        yield f"{label} decodes to a JPEG without its end marker (ff d9): truncated"
    else:
        broken = _undecodable(decoded)
        if broken is not None:
            yield f"{label} has a JPEG's start and end markers but is no JPEG image: {broken}"
    if isinstance(size, int) and not isinstance(size, bool) and len(decoded) != size:
        yield f"{label} decodes to {len(decoded)} bytes, but image_size_bytes is {size}"


def _undecodable(data: bytes) -> str | None:
    """Why a JPEG decoder refuses ``data``, or None when it decodes it (every byte is read;
    the pixels at an eighth of the size, to keep a 5 MB image cheap)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=("JPEG",)) as picture:
                picture.draft("RGB", (picture.width // 8 or 1, picture.height // 8 or 1))
                picture.load()
    except Image.DecompressionBombError:
        return None  # too many pixels to decode here: the markers and the size are judged
    except UnidentifiedImageError:
        return "a JPEG decoder does not recognise it"  # (Pillow's message names an address)
    except (OSError, ValueError, SyntaxError) as exc:
        return str(exc) or type(exc).__name__
    return None


def _short_problems(image_data: str, label: str) -> Iterator[str]:
    """What is wrong with a value too short to hold any JPEG (the document's placeholder is
    one): reported only when it is valid base64 of bytes that are not a JPEG's beginning."""
    raw = _WHITESPACE.sub(b"", image_data.encode("ascii", "replace"))
    try:
        decoded = base64.b64decode(raw + b"=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError):
        return  # not base64: a placeholder such as the document's `/9j/4AAQSkZJRg...`
    if not decoded.startswith(_SOI):
        yield f"{label} {image_data.strip()!r} decodes to {decoded[:8]!r}, not a JPEG (ff d8 ...)"


def _captures(exchange: Exchange) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The capture objects of an evidence list or a pair, each with where it is."""
    data = _data(exchange, exchange.operation_id)
    if exchange.operation_id == "getSessionEvidence" and isinstance(data.get("captures"), list):
        for index, capture in enumerate(data["captures"]):
            if isinstance(capture, Mapping):
                yield f"data.captures[{index}]", capture
    elif exchange.operation_id == "getSessionEvidencePair":
        for name in ("before", "after"):
            if isinstance(data.get(name), Mapping):
                yield f"data.{name}", data[name]


@response_check("image_data_jpeg", apis=API)
def image_data_jpeg(exchange: Exchange, api: ApiSpec) -> Iterator[str]:
    """Inline images are JPEGs of the stated size: a capture's (or pair slot's) `image_data`
    is standard base64 whose bytes start with the JPEG start marker (FF D8), end with its end
    marker (FF D9), decode as a JPEG image, and number exactly `image_size_bytes` when that is
    given. The document calls `image_data` a "Base64-encoded JPEG" and the dashboard renders
    it as `data:image/jpeg;base64,...`, whatever a capture's `content_type` says.

    A value of 100 characters or fewer cannot hold a JPEG: the document's own example is the
    truncated placeholder `/9j/4AAQSkZJRg...`, so such a value is reported only when it is
    base64 of bytes that do not begin a JPEG; an empty string means "no inline image". A
    longer value that is not base64 is reported (the dashboard would render it broken).
    Whitespace and missing `=` padding are tolerated, as browsers decode such data URLs; zero
    bytes after the end marker too (some camera drivers pad frames).
    """
    reported = judged = 0
    for where, capture in _captures(exchange):
        data = capture.get("image_data")
        if not isinstance(data, str) or not data.strip():
            continue  # no inline image
        label = f"{where}.image_data"
        if len(data.strip()) <= _JUDGED_LENGTH:
            problems = list(_short_problems(data, label))
            if not problems:
                continue  # a placeholder: nothing to judge
        else:
            problems = list(jpeg_problems(data, capture.get("image_size_bytes"), label=label))
        judged += 1
        for problem in problems:
            if reported < _MAX_REPORTED:
                yield problem
            reported += 1
    if not judged:
        raise NotApplicable  # no inline image here


# --- optional_fields_not_null --------------------------------------------------------------------


@response_check("optional_fields_not_null", apis=API)
def optional_fields_not_null(exchange: Exchange, api: ApiSpec) -> Iterator[str]:
    """No field the spec describes is `null` unless the spec makes it nullable: optional
    fields are omitted, never `null` (the dashboard's validation rejects `null` for them).
    The only nullable fields are the pair's `before` and `after` slots.

    Fields the spec does not describe (extra fields are allowed) are not judged.
    """
    if exchange.json is None:
        raise NotApplicable
    try:
        schema = api.response_schema(exchange.method, exchange.path, exchange.status)
    except KeyError:
        raise NotApplicable from None  # an undeclared status: the status check reports it
    if not schema:
        raise NotApplicable
    nulls = list(_nulls(exchange.json, schema, "body"))
    for path in nulls[:_MAX_REPORTED]:
        yield f"{path} is null: the spec does not make it nullable (omit it instead)"
    if len(nulls) > _MAX_REPORTED:
        yield f"and {len(nulls) - _MAX_REPORTED} more null fields"


def _nulls(value: Any, schema: Mapping[str, Any], path: str) -> Iterator[str]:
    if value is None:
        if not _nullable(schema):
            yield path
        return
    parts = [schema, *schema.get("allOf", [])]
    if isinstance(value, Mapping):
        properties: dict[str, Any] = {}
        for part in parts:
            properties |= part.get("properties", {})
        for key, item in value.items():
            if isinstance(properties.get(key), Mapping):
                yield from _nulls(item, properties[key], f"{path}.{key}")
    elif isinstance(value, list):
        items = next((p["items"] for p in parts if isinstance(p.get("items"), Mapping)), None)
        if items is not None:
            for index, item in enumerate(value):
                yield from _nulls(item, items, f"{path}[{index}]")


def _nullable(schema: Mapping[str, Any]) -> bool:
    if schema.get("nullable") is True or schema.get("type") == "null":
        return True
    return any(_nullable(p) for p in schema.get("allOf", []) if isinstance(p, Mapping)) or any(
        _nullable(p)
        for key in ("anyOf", "oneOf")
        for p in schema.get(key, [])
        if isinstance(p, Mapping)
    )


# --- probes ------------------------------------------------------------------------------------


def _sessions(session: ProbeSession) -> tuple[Exchange | None, list[dict[str, Any]]]:
    """The diagnostics list (the inferred `/api/v1/sessions` when that route is missing)."""
    for operation in ("listDiagnosticSessions", "listSessions"):
        exchange = session.call(operation, query={"limit": 100})
        found = _object(_object(exchange.json).get("data")).get("sessions")
        if exchange.status == 200 and isinstance(found, list):
            return exchange, [s for s in found if isinstance(s, dict)]
    return None, []


def _finished(sessions: Sequence[Mapping[str, Any]]) -> list[str]:
    return [
        s["session_id"]
        for s in sessions
        if s.get("status") in FINISHED and isinstance(s.get("session_id"), str)
    ][:_SESSIONS]


@probe("session_counters_match_evidence", apis=API)
def session_counters_match_evidence(session: ProbeSession) -> Iterator[Finding]:
    """The diagnostics list's counters of a session (`total_captures`,
    `successful_captures`, `failed_captures`, `has_before_open`, `has_after_close`,
    `pair_complete`) equal the `summary` of that session's evidence: both are the session's
    counters.

    Up to ten sessions are compared, active ones (up to five) among them: the list is read
    before and after their evidence, and a session whose counters differ between the two lists
    (it took a capture meanwhile) is not judged; counters only grow, so one that did not move
    held while its evidence was read. (The documents' own examples disagree here - the list
    counts 4 captures for `sess-abc123`, the evidence example shows 2 - which the spec records
    as examples that are not mutually consistent, not as a rule.)
    """
    listing, sessions = _sessions(session)
    if listing is None:
        return
    by_id = {s["session_id"]: s for s in sessions if isinstance(s.get("session_id"), str)}
    evidence = {
        sid: session.call("getSessionEvidence", path_params={"sessionId": sid})
        for sid in _sampled(sessions)
    }
    relisting = session.call(listing.operation_id, query={"limit": 100})
    again = _object(_object(relisting.json).get("data")).get("sessions")
    second = {
        s.get("session_id"): s for s in (again if isinstance(again, list) else []) if _object(s)
    }
    for sid, read in evidence.items():
        summary = _data(read, "getSessionEvidence").get("summary")
        listed, relisted = by_id[sid], _object(second.get(sid))
        if not isinstance(summary, Mapping) or any(
            listed.get(name) != relisted.get(name) for name in SUMMARY_FIELDS
        ):
            continue  # no summary, or the session moved (or left the list) meanwhile
        differ = [
            f"{name} {listed[name]!r} in the list, {summary[name]!r} in the evidence"
            for name in SUMMARY_FIELDS
            if name in listed and name in summary and listed[name] != summary[name]
        ]
        if differ:
            yield Finding.from_exchanges(
                "session_counters_match_evidence",
                f"session {sid!r} ({listed.get('status')}): " + "; ".join(differ[:_MAX_REPORTED]),
                listing,
                read,
                relisting,
                operation=listing.operation_id,
            )


def _sampled(sessions: Sequence[Mapping[str, Any]]) -> list[str]:
    """Up to ten sessions: the active ones first (at most five), then finished ones."""
    active = [
        s["session_id"]
        for s in sessions
        if s.get("status") not in FINISHED and isinstance(s.get("session_id"), str)
    ][: _SESSIONS // 2]
    return active + _finished(sessions)[: _SESSIONS - len(active)]


@probe("pair_matches_evidence", apis=API)
def pair_matches_evidence(session: ProbeSession) -> Iterator[Finding]:
    """A finished session's before/after pair agrees with its evidence: each filled slot is
    one of the session's captures (same `evidence_id`, same `capture_tag`), and when the
    evidence summary says the pair is complete (a successful BEFORE_OPEN and AFTER_CLOSE
    capture exist) the pair's `pair_status` is `complete`.

    The converse is not required (whether a failed capture may fill a slot is not documented).
    Only finished sessions (`complete`, `failed`, `partial`), up to ten, are compared.
    """
    listing, sessions = _sessions(session)
    if listing is None:
        return
    for sid in _finished(sessions):
        evidence = session.call("getSessionEvidence", path_params={"sessionId": sid})
        pair = session.call("getSessionEvidencePair", path_params={"sessionId": sid})
        data, paired = _data(evidence, "getSessionEvidence"), _data(pair, "getSessionEvidencePair")
        captures = data.get("captures")
        if not isinstance(captures, list) or not paired:
            continue
        tags = {
            c.get("evidence_id"): c.get("capture_tag") for c in captures if isinstance(c, Mapping)
        }
        problems = []
        for name in ("before", "after"):
            slot = paired.get(name)
            if not isinstance(slot, Mapping):
                continue
            eid = slot.get("evidence_id")
            if eid not in tags:
                problems.append(f"{name} is capture {eid!r}, which is not among its captures")
            elif slot.get("capture_tag") != tags[eid]:
                problems.append(
                    f"{name} is capture {eid!r} tagged {slot.get('capture_tag')!r}; the "
                    f"evidence tags it {tags[eid]!r}"
                )
        summary = _object(data.get("summary"))
        complete = expected_summary([c for c in captures if isinstance(c, Mapping)])
        if (
            complete["pair_complete"]
            and summary.get("pair_complete") is True
            and (paired.get("pair_status") != "complete")
        ):
            problems.append(
                f"the evidence has a successful BEFORE_OPEN and AFTER_CLOSE capture, but "
                f"pair_status is {paired.get('pair_status')!r}"
            )
        if problems:
            yield Finding.from_exchanges(
                "pair_matches_evidence",
                f"session {sid!r}: " + "; ".join(problems[:_MAX_REPORTED]),
                evidence,
                pair,
            )


@probe("image_proxy", apis=API)
def image_proxy(session: ProbeSession) -> Iterator[Finding]:
    """The image proxy serves what the evidence lists, and nothing else: for up to three
    captures listed with an `object_key` and `upload_status: uploaded`,
    `GET /api/v1/evidence/image?key=` answers 200 `image/jpeg` whose bytes Pillow decodes as
    a JPEG, exactly `image_size_bytes` long when that is given; malformed keys (path
    traversal `../../etc/passwd`, `evidence/../../../etc/passwd`, the absolute `/etc/passwd`,
    a backslash path) are refused with a 4xx: never served and never a 5xx. (The spec answers
    400; the document lists no error for the proxy, so a 404 conforms too.)

    A 503 for a listed key is not judged (the spec's answer while the object store is down).
    A proxy that answers 404 to every key, malformed ones included, has no route: that is one
    finding (the operation is not implemented), not one per key.
    """
    listing, sessions = _sessions(session)
    wanted: list[tuple[Exchange, Mapping[str, Any]]] = []
    for sid in [s["session_id"] for s in sessions if isinstance(s.get("session_id"), str)]:
        if len(wanted) >= _IMAGES or listing is None:
            break
        evidence = session.call("getSessionEvidence", path_params={"sessionId": sid})
        for _, capture in _captures(evidence):
            if (
                len(wanted) < _IMAGES
                and capture.get("upload_status") == "uploaded"
                and isinstance(capture.get("object_key"), str)
                and capture["object_key"]
            ):
                wanted.append((evidence, capture))
        if len(session.exchanges) > 2 * _SESSIONS:
            break
    fetched = [
        (evidence, capture, session.call("getEvidenceImage", query={"key": capture["object_key"]}))
        for evidence, capture in wanted
    ]
    refused = [session.call("getEvidenceImage", query={"key": key}) for key in TRAVERSAL_KEYS]
    answers = [image for _, _, image in fetched] + refused
    if all(answer.status == 404 for answer in answers):
        yield Finding.from_exchanges(
            "image_proxy",
            "GET /api/v1/evidence/image answers 404 to every key, listed or malformed: the image "
            "proxy is not implemented on this server (the document's phase 2, 'requires "
            "PiOrchestrator enhancement'); expected the listed images and 400 for malformed keys",
            *answers[-2:],
        )
        return
    for evidence, capture, image in fetched:
        problems = _image_problems(image, capture)
        if problems:
            yield Finding.from_exchanges(
                "image_proxy",
                f"capture {capture.get('evidence_id')!r} (key {capture['object_key']!r}): "
                + "; ".join(problems),
                evidence,
                image,
            )
    for key, answer in zip(TRAVERSAL_KEYS, refused, strict=True):
        if not 400 <= answer.status < 500:
            outcome = "served it" if answer.status == 200 else f"answered {answer.status}"
            yield Finding.from_exchanges(
                "image_proxy",
                f"the malformed key {key!r}: expected a refusal (4xx), the proxy {outcome}",
                answer,
            )


def _image_problems(image: Exchange, capture: Mapping[str, Any]) -> list[str]:
    if image.status == 503:
        return []
    if image.status != 200:
        return [f"listed as uploaded, but the image proxy answers {image.status}"]
    problems = []
    if image.content_type != "image/jpeg":
        problems.append(f"Content-Type is {image.content_type or 'missing'!r}, not image/jpeg")
    try:
        with Image.open(io.BytesIO(image.content)) as picture:
            kind = picture.format
            picture.load()
    except UnidentifiedImageError:  # (Pillow's message names a memory address: not shown)
        problems.append(f"the {len(image.content)} bytes are no image a decoder recognises")
    except (OSError, ValueError, SyntaxError) as exc:
        problems.append(f"the {len(image.content)} bytes do not decode as an image ({exc})")
    else:
        if kind != "JPEG":
            problems.append(f"the bytes are a {kind} image, not a JPEG")
    size = capture.get("image_size_bytes")
    if isinstance(size, int) and not isinstance(size, bool) and len(image.content) != size:
        problems.append(f"{len(image.content)} bytes, but image_size_bytes is {size}")
    return problems
