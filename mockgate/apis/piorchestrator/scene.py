"""The scene an evidence camera sees: a storage crate in a room, drawn with Pillow.

The camera looks at the crate from slightly above, so its top shows. The room (wall and floor
colours), the crate (colour, size, position) and its contents are drawn from the *session* id,
so every capture of a session shows the same crate and every session a different arrangement:

- ``BEFORE_OPEN``: the crate closed (lid, handle recess, latch, a label with the container id);
- ``AFTER_OPEN``: open, lid up, the contents as they were;
- ``BEFORE_CLOSE`` and ``AFTER_CLOSE``: open, the contents after the visit (two or three items
  taken out, one put in).

Every random draw comes from a ``random.Random`` seeded by a string; text uses Pillow's built-in
bitmap font (no font file, no FreeType), enlarged without smoothing.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

__all__ = ["HEIGHT", "WIDTH", "paint", "shade", "write"]

WIDTH, HEIGHT = 640, 480

Colour = tuple[int, int, int]

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


def paint(session_id: str, capture_tag: str, container_id: str) -> Image.Image:
    """The scene of ``session_id`` at ``capture_tag`` (RGB, ``WIDTH`` x ``HEIGHT``)."""
    scene = _Scene.of(session_id)
    picture = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(picture)
    scene.draw_room(draw)
    if capture_tag == "BEFORE_OPEN":
        scene.crate.draw_closed(draw, container_id)
    else:
        items = scene.before if capture_tag == "AFTER_OPEN" else scene.after
        scene.crate.draw_open(draw, items)
    return picture


def write(
    draw: ImageDraw.ImageDraw,
    at: tuple[float, float],
    text: str,
    colour: Colour,
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


def shade(colour: Colour, factor: float) -> Colour:
    """``colour`` darker (``factor`` < 1) or lighter."""
    r, g, b = (max(0, min(255, int(c * factor))) for c in colour)
    return r, g, b


@functools.cache
def _font() -> ImageFont.ImageFont:
    return ImageFont.load_default_imagefont()


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
        dark = shade(self.colour, 0.55)
        draw.rectangle(
            [self.left, self.top, self.right, self.bottom], fill=self.colour, outline=dark, width=3
        )
        rows = 4
        for row in range(1, rows):
            y = self.top + (self.bottom - self.top) * row // rows
            draw.line(
                [(self.left + 6, y), (self.right - 6, y)], fill=shade(self.colour, 0.75), width=3
            )
        for x in (self.left + 14, self.right - 14):  # corner ribs
            draw.line(
                [(x, self.top + 4), (x, self.bottom - 4)], fill=shade(self.colour, 0.8), width=4
            )

    def draw_closed(self, draw: ImageDraw.ImageDraw, container_id: str) -> None:
        self.draw_body(draw)
        lid = shade(self.colour, 1.25)
        draw.polygon(self.top_face(), fill=lid, outline=shade(self.colour, 0.5))
        # Lid rim over the front edge, a handle recess and a latch.
        draw.rectangle(
            [self.left - 6, self.top - 4, self.right + 6, self.top + 10],
            fill=lid,
            outline=shade(self.colour, 0.5),
            width=2,
        )
        cx, cy = self.point(0.5, 0.45)
        draw.rounded_rectangle(
            [cx - 40, cy - 10, cx + 40, cy + 10], radius=9, fill=shade(self.colour, 0.6)
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
        write(draw, (lx - 62, ly - 12), container_id[:12], (30, 30, 30), scale=2)

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
            fill=shade(self.colour, 0.7),
            outline=shade(self.colour, 0.4),
        )
        self.draw_body(draw)
        # The opening: the floor of the crate and its inner back wall.
        draw.polygon(self.top_face(), fill=shade(self.colour, 0.3), outline=shade(self.colour, 0.5))
        inner = [
            (self.left + self.inset, self.back),
            (self.right - self.inset, self.back),
            (self.right - self.inset - 6, self.back + self.depth // 4),
            (self.left + self.inset + 6, self.back + self.depth // 4),
        ]
        draw.polygon(inner, fill=shade(self.colour, 0.45))
        for item in sorted(items, key=lambda i: i.v):
            self._draw_item(draw, item)
        # The front rim hides what sits below it.
        draw.rectangle(
            [self.left, self.top - 3, self.right, self.top + 8],
            fill=self.colour,
            outline=shade(self.colour, 0.55),
            width=2,
        )

    def _draw_item(self, draw: ImageDraw.ImageDraw, item: _Item) -> None:
        x, y = self.point(item.u, item.v)
        r = item.size * (0.75 + 0.35 * item.v)
        outline = shade(item.colour, 0.45)
        if item.kind == "can":
            draw.ellipse(
                [x - r, y - r * 0.8, x + r, y + r * 0.8], fill=item.colour, outline=outline, width=2
            )
            draw.ellipse(
                [x - r * 0.6, y - r * 0.5, x + r * 0.6, y + r * 0.5], fill=shade(item.colour, 1.3)
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
            draw.line([(x - w, y), (x + w, y)], fill=shade(item.colour, 0.7), width=3)
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
            draw.line([(0, y), (WIDTH, y)], fill=shade(self.wall, 1.05 - 0.35 * y / horizon))
        draw.rectangle([0, horizon, WIDTH, HEIGHT], fill=self.floor)
        seam = shade(self.floor, 0.85)
        for x in range(-WIDTH, 2 * WIDTH, 70):  # floor boards converging to the back
            draw.line(
                [(WIDTH / 2 + (x - WIDTH / 2) * 0.3, horizon), (x, HEIGHT)], fill=seam, width=2
            )
        draw.line([(0, horizon), (WIDTH, horizon)], fill=shade(self.wall, 0.5), width=4)
        c = self.crate
        draw.ellipse(
            [c.left - 30, c.bottom - 24, c.right + 30, c.bottom + 22], fill=shade(self.floor, 0.7)
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
