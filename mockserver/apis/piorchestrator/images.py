"""Evidence photos: real JPEGs rendered with Pillow, the same bytes for the same capture.

The scene is what an ESP32 camera above a storage crate sees, from slightly above so the top of
the crate shows:

- the room (wall and floor colours), the crate (colour, size, position) and its contents are drawn
  from the *session* id, so every capture of a session shows the same crate and every session a
  different arrangement;
- ``BEFORE_OPEN``: the crate closed (lid, handle, latch, a label with the container id);
  ``AFTER_OPEN``: open, lid up, the contents as they were; ``BEFORE_CLOSE`` and ``AFTER_CLOSE``:
  open with the contents after the visit (some items taken out, one put in);
- each capture adds its own camera jitter, exposure and sensor grain, drawn from the *evidence*
  id, and a CCTV-style overlay: device, time, session id, capture tag, container.

Every random draw comes from a ``random.Random`` seeded by a string; the text uses Pillow's
built-in bitmap font (no font file, no FreeType hinting), so the bytes depend on the capture
alone (and on the Pillow/libjpeg build, which the project pins). 640x480 at JPEG quality 85 is
about 60-90 KB. ``jpeg`` may also pad an image with JPEG comment segments to an exact size (the
docs dataset keeps the documents' ``image_size_bytes``); the image stays valid and identical.

Rendering takes ~30 ms, so ``jpeg`` keeps the last ``CACHE_SIZE`` results (an LRU cache of a
pure function: no mock state lives in it).
"""

from __future__ import annotations

import functools
import io
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

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

WIDTH, HEIGHT = 640, 480
QUALITY = 85
CACHE_SIZE = 128
MAX_IMAGE_BYTES = 5 * 1024 * 1024
"""The documented limit of a decoded image (5 MB)."""

_COMMENT_MAX = 65533  # data bytes in one JPEG COM segment (its length field counts 2 more)
_PADDING = b"mockgate evidence padding. "

_CRATES = (  # body colour of plastic crates
    (38, 92, 168),
    (46, 134, 72),
    (214, 122, 32),
    (118, 120, 126),
    (176, 44, 44),
    (70, 70, 78),
    (32, 128, 140),
)
_ITEM_COLOURS = (
    (226, 58, 52),
    (242, 196, 40),
    (64, 160, 220),
    (90, 186, 90),
    (236, 236, 228),
    (150, 92, 200),
    (240, 130, 40),
    (120, 82, 52),
)
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
    """The capture's picture (RGB, ``WIDTH`` x ``HEIGHT``)."""
    scene = _Scene.of(shot.session_id)
    picture = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(picture)
    scene.draw_room(draw)
    crate = scene.crate
    if shot.capture_tag == "BEFORE_OPEN":
        crate.draw_closed(draw, shot.container_id)
    else:
        items = scene.before if shot.capture_tag == "AFTER_OPEN" else scene.after
        crate.draw_open(draw, items)
    return _camera(picture, shot)


# --- the scene of a session -----------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    kind: str  # can, bottle, box, fruit
    u: float  # across the crate, 0..1
    v: float  # from the back wall (0) to the front (1)
    size: float
    colour: tuple[int, int, int]
    turn: int


@dataclass(frozen=True)
class _Crate:
    left: int
    right: int
    top: int  # front top edge
    bottom: int
    depth: int  # how far back the top face reaches (on the picture)
    inset: int  # how much narrower the back edge is
    colour: tuple[int, int, int]

    @property
    def back(self) -> int:
        return self.top - self.depth

    def top_face(self) -> list[tuple[int, int]]:
        return [
            (self.left, self.top),
            (self.right, self.top),
            (self.right - self.inset, self.back),
            (self.left + self.inset, self.back),
        ]

    def point(self, u: float, v: float) -> tuple[float, float]:
        """A point on the crate's top opening (u across, v from back to front)."""
        y = self.back + v * self.depth
        half = (self.right - self.left) / 2 - self.inset * (1 - v)
        centre = (self.left + self.right) / 2
        return centre + (u - 0.5) * 2 * half, y

    def draw_body(self, draw: ImageDraw.ImageDraw) -> None:
        dark = _shade(self.colour, 0.55)
        draw.rectangle(
            [self.left, self.top, self.right, self.bottom], fill=self.colour, outline=dark, width=3
        )
        rows = 4
        for row in range(1, rows):
            y = self.top + (self.bottom - self.top) * row // rows
            draw.line(
                [(self.left + 6, y), (self.right - 6, y)], fill=_shade(self.colour, 0.75), width=3
            )
        for x in (self.left + 14, self.right - 14):  # corner ribs
            draw.line(
                [(x, self.top + 4), (x, self.bottom - 4)], fill=_shade(self.colour, 0.8), width=4
            )

    def draw_closed(self, draw: ImageDraw.ImageDraw, container_id: str) -> None:
        self.draw_body(draw)
        lid = _shade(self.colour, 1.25)
        draw.polygon(self.top_face(), fill=lid, outline=_shade(self.colour, 0.5))
        # Lid rim over the front edge, a handle recess and a latch.
        draw.rectangle(
            [self.left - 6, self.top - 4, self.right + 6, self.top + 10],
            fill=lid,
            outline=_shade(self.colour, 0.5),
            width=2,
        )
        cx, cy = self.point(0.5, 0.45)
        draw.rounded_rectangle(
            [cx - 40, cy - 10, cx + 40, cy + 10], radius=9, fill=_shade(self.colour, 0.6)
        )
        draw.rectangle(
            [cx - 16, self.top + 10, cx + 16, self.top + 34],
            fill=(196, 198, 204),
            outline=(70, 70, 76),
            width=2,
        )
        # The label on the front, with the container id.
        lx, ly = (self.left + self.right) // 2, self.top + (self.bottom - self.top) * 5 // 8
        draw.rectangle(
            [lx - 70, ly - 18, lx + 70, ly + 18],
            fill=(246, 244, 236),
            outline=(90, 90, 90),
            width=2,
        )
        _text(draw, (lx - 62, ly - 12), container_id[:12], (30, 30, 30), scale=2)

    def draw_open(self, draw: ImageDraw.ImageDraw, items: tuple[_Item, ...]) -> None:
        # The lid stands up behind the crate, hinged on the back edge.
        lid_top = self.back - int(self.depth * 0.85)
        draw.polygon(
            [
                (self.left + self.inset, self.back),
                (self.right - self.inset, self.back),
                (self.right - self.inset + 10, lid_top),
                (self.left + self.inset - 10, lid_top),
            ],
            fill=_shade(self.colour, 0.7),
            outline=_shade(self.colour, 0.4),
        )
        self.draw_body(draw)
        # The opening: the floor of the crate and its inner back wall.
        draw.polygon(
            self.top_face(), fill=_shade(self.colour, 0.3), outline=_shade(self.colour, 0.5)
        )
        inner = [
            (self.left + self.inset, self.back),
            (self.right - self.inset, self.back),
            (self.right - self.inset - 6, self.back + self.depth // 4),
            (self.left + self.inset + 6, self.back + self.depth // 4),
        ]
        draw.polygon(inner, fill=_shade(self.colour, 0.45))
        for item in sorted(items, key=lambda i: i.v):
            self._draw_item(draw, item)
        # The front rim hides what sits below it.
        draw.rectangle(
            [self.left, self.top - 3, self.right, self.top + 8],
            fill=self.colour,
            outline=_shade(self.colour, 0.55),
            width=2,
        )

    def _draw_item(self, draw: ImageDraw.ImageDraw, item: _Item) -> None:
        x, y = self.point(item.u, item.v)
        r = item.size * (0.75 + 0.35 * item.v)
        outline = _shade(item.colour, 0.45)
        if item.kind == "can":
            draw.ellipse(
                [x - r, y - r * 0.8, x + r, y + r * 0.8], fill=item.colour, outline=outline, width=2
            )
            draw.ellipse(
                [x - r * 0.6, y - r * 0.5, x + r * 0.6, y + r * 0.5], fill=_shade(item.colour, 1.3)
            )
        elif item.kind == "bottle":
            draw.rounded_rectangle(
                [x - r * 0.5, y - r * 1.9, x + r * 0.5, y + r * 0.4],
                radius=int(r * 0.4),
                fill=item.colour,
                outline=outline,
                width=2,
            )
            draw.rectangle(
                [x - r * 0.22, y - r * 2.3, x + r * 0.22, y - r * 1.85],
                fill=(235, 235, 235),
                outline=outline,
            )
        elif item.kind == "box":
            w, h = r * (1.2 + 0.1 * item.turn), r * 0.9
            draw.rectangle([x - w, y - h, x + w, y + h], fill=item.colour, outline=outline, width=2)
            draw.line([(x - w, y), (x + w, y)], fill=_shade(item.colour, 0.7), width=3)
        else:  # fruit
            draw.ellipse(
                [x - r * 0.7, y - r * 0.7, x + r * 0.7, y + r * 0.7],
                fill=item.colour,
                outline=outline,
            )
            draw.line([(x, y - r * 0.7), (x + 3, y - r * 0.95)], fill=(80, 60, 30), width=2)


@dataclass(frozen=True)
class _Scene:
    wall: tuple[int, int, int]
    floor: tuple[int, int, int]
    crate: _Crate
    before: tuple[_Item, ...]
    after: tuple[_Item, ...]

    @classmethod
    def of(cls, session_id: str) -> _Scene:
        rng = random.Random(f"piorchestrator-scene:{session_id}")
        wall = (rng.randint(150, 205), rng.randint(150, 200), rng.randint(140, 195))
        floor = (rng.randint(85, 130), rng.randint(70, 105), rng.randint(50, 85))
        width = rng.randint(300, 380)
        left = (WIDTH - width) // 2 + rng.randint(-50, 50)
        top = rng.randint(250, 280)
        crate = _Crate(
            left=left,
            right=left + width,
            top=top,
            bottom=top + rng.randint(130, 160),
            depth=rng.randint(95, 120),
            inset=rng.randint(30, 50),
            colour=rng.choice(_CRATES),
        )
        before = tuple(_item(rng) for _ in range(rng.randint(6, 10)))
        kept = sorted(rng.sample(range(len(before)), len(before) - rng.randint(2, 3)))
        after = (*(before[i] for i in kept), _item(rng))
        return cls(wall, floor, crate, before, after)

    def draw_room(self, draw: ImageDraw.ImageDraw) -> None:
        horizon = self.crate.top - self.crate.depth // 2
        for y in range(horizon):
            draw.line([(0, y), (WIDTH, y)], fill=_shade(self.wall, 1.05 - 0.35 * y / horizon))
        draw.rectangle([0, horizon, WIDTH, HEIGHT], fill=self.floor)
        seam = _shade(self.floor, 0.85)
        for x in range(-WIDTH, 2 * WIDTH, 70):  # floor boards converging to the back
            draw.line(
                [(WIDTH / 2 + (x - WIDTH / 2) * 0.3, horizon), (x, HEIGHT)], fill=seam, width=2
            )
        draw.line([(0, horizon), (WIDTH, horizon)], fill=_shade(self.wall, 0.5), width=4)
        c = self.crate
        draw.ellipse(
            [c.left - 30, c.bottom - 24, c.right + 30, c.bottom + 22], fill=_shade(self.floor, 0.7)
        )


def _item(rng: random.Random) -> _Item:
    return _Item(
        kind=rng.choice(("can", "can", "bottle", "box", "box", "fruit")),
        u=rng.uniform(0.12, 0.88),
        v=rng.uniform(0.3, 0.92),
        size=rng.uniform(20, 30),
        colour=rng.choice(_ITEM_COLOURS),
        turn=rng.randint(0, 3),
    )


# --- the camera -----------------------------------------------------------------------------


def _camera(picture: Image.Image, shot: Shot) -> Image.Image:
    """Lens softness, framing jitter, exposure, grain, then the overlay."""
    rng = random.Random(f"piorchestrator-capture:{shot.evidence_id}")
    dx, dy = rng.randint(-8, 8), rng.randint(-6, 6)
    picture = picture.transform(
        picture.size, Image.Transform.AFFINE, (1, 0, dx, 0, 1, dy), fillcolor=(20, 20, 20)
    )
    picture = picture.filter(ImageFilter.GaussianBlur(1.1))
    picture = ImageEnhance.Brightness(picture).enhance(rng.uniform(0.88, 1.1))
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
    _text(draw, (28, 4), shot.device_id[:24], white, scale=2)
    when = shot.taken_at.replace("T", " ").replace("Z", " UTC")
    _text(draw, (WIDTH - 8 - 12 * len(when), 4), when, white, scale=2)
    _text(draw, (8, HEIGHT - 26), shot.session_id[:20], white, scale=2)
    tag_x = 8 + 12 * (len(shot.session_id[:20]) + 2)
    colour = _TAG_COLOURS.get(shot.capture_tag, white)
    draw.rectangle(
        [tag_x - 4, HEIGHT - 28, tag_x + 12 * len(shot.capture_tag) + 4, HEIGHT - 3], fill=colour
    )
    _text(draw, (tag_x, HEIGHT - 26), shot.capture_tag, (10, 10, 10), scale=2)
    right = shot.container_id[:16]
    _text(draw, (WIDTH - 8 - 12 * len(right), HEIGHT - 26), right, white, scale=2)


@functools.cache
def _font() -> ImageFont.ImageFont:
    return ImageFont.load_default_imagefont()


def _text(
    draw: ImageDraw.ImageDraw,
    at: tuple[float, float],
    text: str,
    colour: tuple[int, int, int],
    *,
    scale: int = 1,
) -> None:
    """``text`` in the bitmap font, enlarged ``scale`` times without smoothing (6x11 px cells)."""
    text = text.encode("latin-1", "replace").decode("latin-1")
    mask = Image.new("L", (6 * len(text) + 2, 12), 0)
    ImageDraw.Draw(mask).text((1, 0), text, fill=255, font=_font())
    if scale != 1:
        mask = mask.resize((mask.width * scale, mask.height * scale), Image.Resampling.NEAREST)
    draw.bitmap((int(at[0]), int(at[1])), mask, fill=colour)


def _shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    r, g, b = (max(0, min(255, int(c * factor))) for c in colour)
    return r, g, b


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
