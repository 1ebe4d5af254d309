"""Evidence images: real JPEGs that decode, match their stated size, show the scene, and are the
same bytes for the same capture."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import subprocess
import sys

import pytest
from PIL import Image

from mockgate.apis.piorchestrator import images
from mockgate.apis.piorchestrator.images import Shot
from tests.apis.piorchestrator.expect import (
    IMAGE,
    all_captures,
    decode,
    evidence,
    mean_difference,
    pair,
    sessions,
)

# Before (closed) and after (open, with contents) differ by far more than grain and exposure.
DIFFERENT = 15.0
# Two captures of one scene (same session and tag) differ less (grain, framing, exposure).
ALIKE = 12.0


def _shot(**changes):
    base = {
        "evidence_id": "0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        "session_id": "sess-abc123",
        "container_id": "ctr-001",
        "device_id": "espcam-a1b2c3",
        "capture_tag": "BEFORE_OPEN",
        "taken_at": "2026-02-20T10:00:05Z",
    }
    return Shot(**(base | changes))


def _complete_pairs(client):
    found = []
    for session in sessions(client, limit=100):
        if session["pair_complete"]:
            found.append(pair(client, session["session_id"]))
    return found


def test_inline_images_decode_and_match_their_stated_size(demo):
    inline = [c for c in all_captures(demo) if "image_data" in c]
    assert len(inline) >= 8
    for capture in inline:
        raw = base64.b64decode(capture["image_data"], validate=True)
        assert len(raw) == capture["image_size_bytes"]
        image = decode(raw)
        assert image.size == (images.WIDTH, images.HEIGHT)
        assert image.mode == "RGB"


def test_images_are_a_realistic_size_well_under_5_mb(demo):
    sizes = [c["image_size_bytes"] for c in all_captures(demo) if "image_size_bytes" in c]
    assert all(30_000 < size < 200_000 for size in sizes), sizes


def test_before_and_after_differ_measurably(demo):
    compared = 0
    for data in _complete_pairs(demo):
        before, after = _image(demo, data["before"]), _image(demo, data["after"])
        if before is None or after is None:  # lost: upload failed and past the TTL
            continue
        assert mean_difference(before, after) > DIFFERENT, data["session_id"]
        compared += 1
    assert compared >= 5


def test_every_session_has_its_own_arrangement():
    afters = [
        images.render(_shot(session_id=f"sess-{n}", capture_tag="AFTER_CLOSE")) for n in range(4)
    ]
    for i, a in enumerate(afters):
        for b in afters[i + 1 :]:
            assert mean_difference(a, b) > DIFFERENT


def test_captures_of_one_scene_differ_only_by_the_camera():
    a = images.render(_shot(evidence_id="a", capture_tag="AFTER_CLOSE"))
    b = images.render(_shot(evidence_id="b", capture_tag="AFTER_CLOSE"))
    assert 0 < mean_difference(a, b) < ALIKE


def test_rendering_is_deterministic_byte_for_byte():
    shot = _shot(evidence_id="determinism-check")
    first = images.jpeg.__wrapped__(shot)  # rendered, not from the cache
    assert images.jpeg.__wrapped__(shot) == first
    out = io.BytesIO()
    images.render(shot).save(out, "JPEG", quality=images.QUALITY)
    assert out.getvalue() == first


def test_the_same_seed_serves_the_same_bytes(pi):
    first = [c.get("image_data") for c in all_captures(pi())]
    assert len(set(first)) > 10
    assert [c.get("image_data") for c in all_captures(pi())] == first


def test_rendered_images_are_cached_in_a_bounded_lru():
    assert images.jpeg.cache_info().maxsize == images.CACHE_SIZE
    shot = _shot(evidence_id="cache-check")
    assert images.jpeg(shot) is images.jpeg(shot)


@pytest.mark.parametrize("size", [245_760, 251_904, 70_000, 200_001], ids=str)
def test_an_image_can_be_padded_to_an_exact_size_and_stays_the_same_picture(size):
    natural = decode(images.jpeg(_shot()))
    padded = images.jpeg(_shot(size=size))
    assert len(padded) == size
    assert mean_difference(decode(padded), natural) == 0


def test_a_size_smaller_than_the_image_is_ignored():
    assert images.jpeg(_shot(size=100)) == images.jpeg(_shot())


@pytest.mark.parametrize(
    ("evidence_id", "size", "inline"),
    [
        pytest.param("01234567-89ab-7cde-f012-3456789abcdef", 245_760, True, id="BEFORE_OPEN"),
        pytest.param("fedcba98-7654-7321-0fed-cba987654321", 251_904, False, id="AFTER_CLOSE"),
    ],
)
def test_the_docs_dataset_keeps_the_documented_sizes_as_real_sizes(docs, evidence_id, size, inline):
    """Inline or, as the document shows the AFTER_CLOSE capture, through the image proxy only."""
    captures = {c["evidence_id"]: c for c in evidence(docs, "sess-abc123")["captures"]}
    capture = captures[evidence_id]
    assert capture["image_size_bytes"] == size
    assert ("image_data" in capture) is inline
    if inline:
        raw = base64.b64decode(capture["image_data"])
    else:
        response = docs.get(IMAGE, params={"key": capture["object_key"]})
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/jpeg"
        raw = response.content
    assert len(raw) == size
    assert decode(raw).size == (images.WIDTH, images.HEIGHT)


def _image(client, capture) -> Image.Image | None:
    if "image_data" in capture:
        return decode(capture["image_data"])
    response = client.get(IMAGE, params={"key": capture["object_key"]})
    if capture["upload_status"] == "failed":
        assert response.status_code == 404
        return None
    assert response.status_code == 200
    return decode(response.content)


@pytest.mark.slow
def test_another_process_renders_the_same_bytes():
    """Nothing but the capture decides the bytes: not the process, its hash seed or its cache."""
    shot = _shot(evidence_id="cross-process", capture_tag="AFTER_CLOSE")
    script = (
        "import hashlib, sys; from mockgate.apis.piorchestrator.images import Shot, jpeg; "
        f"sys.stdout.write(hashlib.sha256(jpeg(Shot(**{shot.__dict__!r}))).hexdigest())"
    )
    env = os.environ | {"PYTHONHASHSEED": "12345"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout == hashlib.sha256(images.jpeg(shot)).hexdigest()
