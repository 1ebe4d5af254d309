"""Evidence photos: real JPEGs rendered with Pillow, the same bytes for the same capture.

A capture's picture is its session's ``scene`` (the crate closed before opening, open with its
contents afterwards), seen through the camera: framing jitter, lens softness, exposure and
sensor grain drawn from the *evidence* id, then a CCTV-style overlay with the device, the time,
the session id, the capture tag and the container.

Every random draw comes from a ``random.Random`` seeded by a string and the text uses Pillow's
bitmap font, so the bytes depend on the capture alone (and on the Pillow/libjpeg build, which
the project pins). 640x480 at JPEG quality 85 is about 60-70 KB. ``jpeg`` may also pad an image
with JPEG comment segments to an exact size (the docs dataset keeps the documents'
``image_size_bytes``); the picture stays the same.

Rendering takes ~20 ms, so ``jpeg`` keeps the last ``CACHE_SIZE`` results (an LRU cache of a
pure function: no mock state lives in it).
"""

from __future__ import annotations

import functools
import io
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from mockgate.apis.piorchestrator.scene import HEIGHT, WIDTH, paint, write

__all__ = [
    "CACHE_SIZE",
    "HEIGHT",
    "MAX_IMAGE_BYTES",
    "QUALITY",
    "WIDTH",
    "Shot",
    "jpeg",
    "render",
]

QUALITY = 85
CACHE_SIZE = 128
MAX_IMAGE_BYTES = 5 * 1024 * 1024
"""The documented limit of a decoded image (5 MB)."""

_COMMENT_MAX = 65533  # data bytes in one JPEG COM segment (its length field counts 2 more)
_PADDING = b"mockgate evidence padding. "

_TAG_COLOURS = {
    "BEFORE_OPEN": (240, 170, 30),
    "AFTER_OPEN": (70, 150, 240),
    "BEFORE_CLOSE": (170, 110, 240),
    "AFTER_CLOSE": (60, 190, 90),
}


@dataclass(frozen=True)
class Shot:
    """Everything a capture's image depends on (and the cache's key)."""

    evidence_id: str
    session_id: str
    container_id: str
    device_id: str
    capture_tag: str
    taken_at: str  # a stamp, e.g. 2026-02-20T10:00:05Z
    size: int | None = None  # pad to exactly this many bytes, when the image is smaller

    @classmethod
    def from_capture(cls, capture: Mapping[str, Any]) -> Shot:
        """The shot of a stored capture (``image_size_bytes``, when stored, is the size)."""
        size = capture.get("image_size_bytes")
        return cls(
            evidence_id=capture["evidence_id"],
            session_id=capture["session_id"],
            container_id=capture["container_id"],
            device_id=capture["device_id"],
            capture_tag=capture["capture_tag"],
            taken_at=capture["created_at"],
            size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        )


@functools.lru_cache(maxsize=CACHE_SIZE)
def jpeg(shot: Shot) -> bytes:
    """The capture's JPEG bytes (cached)."""
    out = io.BytesIO()
    render(shot).save(out, "JPEG", quality=QUALITY)
    data = out.getvalue()
    if shot.size is not None and shot.size <= MAX_IMAGE_BYTES:
        data = _padded(data, shot.size)
    return data


def render(shot: Shot) -> Image.Image:
    """The capture's picture (RGB, ``WIDTH`` x ``HEIGHT``): the scene, seen by the camera."""
    return _camera(paint(shot.session_id, shot.capture_tag, shot.container_id), shot)


# --- the camera -----------------------------------------------------------------------------


def _camera(picture: Image.Image, shot: Shot) -> Image.Image:
    """Lens softness, framing jitter, exposure, grain, then the overlay."""
    rng = random.Random(f"piorchestrator-capture:{shot.evidence_id}")
    dx, dy = rng.randint(-4, 4), rng.randint(-3, 3)
    picture = picture.transform(
        picture.size, Image.Transform.AFFINE, (1, 0, dx, 0, 1, dy), fillcolor=(20, 20, 20)
    )
    picture = picture.filter(ImageFilter.GaussianBlur(1.1))
    picture = ImageEnhance.Brightness(picture).enhance(rng.uniform(0.97, 1.03))
    grain = Image.frombytes("L", picture.size, rng.randbytes(WIDTH * HEIGHT)).convert("RGB")
    picture = Image.blend(picture, grain, 0.07)
    _overlay(picture, shot)
    return picture


def _overlay(picture: Image.Image, shot: Shot) -> None:
    for box in ((0, 0, WIDTH, 30), (0, HEIGHT - 30, WIDTH, HEIGHT)):
        band = picture.crop(box)
        picture.paste(Image.blend(band, Image.new("RGB", band.size, (0, 0, 0)), 0.65), box[:2])
    draw = ImageDraw.Draw(picture)
    white = (240, 240, 240)
    draw.ellipse([8, 9, 20, 21], fill=(220, 40, 40))
    write(draw, (28, 4), shot.device_id[:24], white, scale=2)
    when = shot.taken_at.replace("T", " ").replace("Z", " UTC")
    write(draw, (WIDTH - 8 - 12 * len(when), 4), when, white, scale=2)
    write(draw, (8, HEIGHT - 26), shot.session_id[:20], white, scale=2)
    tag_x = 8 + 12 * (len(shot.session_id[:20]) + 2)
    colour = _TAG_COLOURS.get(shot.capture_tag, white)
    draw.rectangle(
        [tag_x - 4, HEIGHT - 28, tag_x + 12 * len(shot.capture_tag) + 4, HEIGHT - 3], fill=colour
    )
    write(draw, (tag_x, HEIGHT - 26), shot.capture_tag, (10, 10, 10), scale=2)
    right = shot.container_id[:16]
    write(draw, (WIDTH - 8 - 12 * len(right), HEIGHT - 26), right, white, scale=2)


def _padded(data: bytes, size: int) -> bytes:
    """``data`` grown to exactly ``size`` bytes with COM segments after the JFIF header (or as is
    when it is already as large, or the gap is too small for a segment)."""
    gap = size - len(data)
    if gap < 4:
        return data
    segments = []
    while gap:
        length = min(gap, _COMMENT_MAX + 4)
        if 0 < gap - length < 4:  # leave enough for one more segment
            length -= 4
        body = (_PADDING * (length // len(_PADDING) + 1))[: length - 4]
        segments.append(b"\xff\xfe" + (length - 2).to_bytes(2, "big") + body)
        gap -= length
    header = 2 + 2 + int.from_bytes(data[4:6], "big") if data[2:4] == b"\xff\xe0" else 2
    return data[:header] + b"".join(segments) + data[header:]
