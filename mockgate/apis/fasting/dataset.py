"""Seed data for the fasting mock: generated users with months of fasts, and the document's own.

``generate`` is a pure function of ``(seed, now)``: every random draw comes from a
``random.Random`` (and a ``faker.Faker`` instance) seeded from ``seed``, never the global
generator. Each user draws from its own generator, seeded from ``(seed, user index)``, so asking
for more users appends users and leaves the first ones as they were. (Names come from Faker, so a
different Faker release may change them; the project pins Faker's major version.)
"""

from __future__ import annotations

import random
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, TypedDict

from faker import Faker

from mockgate.apis.fasting.session import StoredSession
from mockgate.apis.fasting.users import User
from mockgate.core.clock import ID_ANCHOR
from mockgate.core.timestamps import format_timestamp

__all__ = ["NOTES_MAX_LENGTH", "Dataset", "docs_dataset", "generate"]

NOTES_MAX_LENGTH = 280  # the spec's `Session.notes.maxLength`

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE = 60_000  # timeline arithmetic is in integer milliseconds, the API's precision
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


class Dataset(TypedDict):
    users: list[dict[str, str]]
    sessions: list[StoredSession]


class _Regimen(NamedTuple):
    goal_minutes: int
    eating_hours: float  # the usual window between two fasts
    weight: int  # how popular it is


# 16:8 dominates real trackers; 36 h fasts are rare. OMAD is a 23 h fast and one meal.
_REGIMENS = (
    _Regimen(16 * 60, 8, 50),
    _Regimen(18 * 60, 6, 20),
    _Regimen(20 * 60, 4, 12),
    _Regimen(23 * 60, 1, 10),
    _Regimen(36 * 60, 12, 8),
)

_NOTES_AT_GOAL = (
    "Felt great today",
    "Easy one, barely noticed.",
    "Black coffee and electrolytes got me through.",
    "Best focus all week.",
    "Hungry around 10am but it passed.",
    "Super clear-headed by the end 🧠",
    "Green tea helped a lot 🍵",
    "Went for a 5 km run near the end, felt fine 💪",
    "Weighed in this morning: down 0.4 kg.",
    "Broke it with a café crème and an omelette.",
    "Ayuno fácil hoy 🙂",
    "Journée facile, pas de fringale.",
    "Slept well, that always makes it easier.",
    "Tough last hour, but done ✅",
)
_NOTES_EARLY = (
    "Broke it early with coffee",
    "Ended early, dinner with friends 🍝",
    "Migraine, stopped early.",
    "Felt dizzy getting up, ate something.",
    "Work stress, snacked at 3pm.",
    "Crème brûlée at the party ended this one 😅",
    "Travel day ✈️, time zones messed this up.",
    "Cold and shaky, called it.",
    "Kids' birthday cake. No regrets 🎂",
)
_NOTES_TWIN = (
    "Started it twice by accident, ending this one.",
    "Duplicate from my phone, ignore.",
)
# Long-form journal sentences for notes at or near the limit. All in the Basic Multilingual Plane
# (accents, dashes, no emoji): JavaScript's `length` counts UTF-16 units, so a 280-character note
# with an emoji would exceed the real app's limit even though it is 280 code points.
_JOURNAL = (
    "Day three of getting back into my routine after the holidays.",
    "Woke up hungry but black coffee took the edge off.",
    "Around hour fourteen I hit the usual dip in energy, so I went for a slow walk by the river.",
    "Drank about two litres of water and a mug of salted broth.",
    "Focus was great during the afternoon meeting — no brain fog at all.",
    "Honestly the hardest part is the smell of croissants from the bakery downstairs.",
    "Broke the fast with Greek yogurt, walnuts and honey; perfect.",
    "Sleep was rough, so I am not pushing for a longer fast this week.",
    "Café crème in the morning, no sugar, and a crêpe afterwards as a treat.",
    "Next goal: keep this rhythm for the rest of the month and see how I feel.",
    "Mood was calm, a bit irritable near the end, nothing dramatic.",
)


def generate(seed: int, now: datetime, *, users: int = 3) -> Dataset:
    """``users`` users, each with 30 to 90 completed fasts over the months before ``now``.

    Per user: a favourite regimen (16:8, 18:6, 20:4, OMAD or 36 h; sometimes another), a goal
    from the regimen or ``null``, actual durations around the goal (some broken early), notes
    ``null`` or a short sentence, with one at exactly 280 characters and one just under; zero or
    one active fast (``endedAt`` ``None``) that started before ``now``; and exactly one
    *tie*: a stray duplicate that started at the same millisecond as one of the fasts (a double
    tap from a second device) and was ended minutes later. That duplicate overlaps its twin,
    inside it; otherwise a user's fasts never overlap, and every ``endedAt`` is at most ``now``.

    Ids are cuid-like (``c`` + 24 base36 characters: creation time, counter, fingerprint,
    random), unique across the dataset, and depend on ``seed`` alone: their creation time is
    the record's offset from ``now`` added to ``ID_ANCHOR``, so a restart at another instant
    gives the same ids. Tokens are ``fst_<first name>_<32 hex>``.
    """
    if users < 0:
        raise ValueError(f"users must be at least 0, not {users}")
    now_ms = _milliseconds(now)
    fake = Faker("en_US")
    ids = _Cuids(
        fingerprint=_base36(random.Random(f"{seed}:host").randrange(36**4), 4),
        shift=_milliseconds(ID_ANCHOR) - now_ms,
    )
    dataset = Dataset(users=[], sessions=[])
    emails: set[str] = set()
    for index in range(users):
        rng = random.Random(f"{seed}:user:{index}")
        fake.seed_instance(rng.getrandbits(64))
        first, last = fake.first_name(), fake.last_name()
        fasts = _timeline(rng, now_ms)
        user_id = ids.make(fasts[0].start - rng.randint(1, 30) * _DAY, rng)
        email = f"{_slug(first)}.{_slug(last)}@example.{rng.choice(('com', 'org', 'net'))}"
        if email in emails:  # keep the log-in name unique, like the real `@unique` column
            email = email.replace("@", f"{index}@")
        emails.add(email)
        token = f"fst_{_slug(first) or 'user'}_{rng.getrandbits(128):032x}"
        user = User(id=user_id, name=f"{first} {last}", email=email, token=token)
        dataset["users"].append(user.to_dict())
        dataset["sessions"].extend(
            StoredSession(
                id=ids.make(fast.start, rng),
                userId=user_id,
                startedAt=_timestamp(fast.start),
                endedAt=None if fast.end is None else _timestamp(fast.end),
                goalMinutes=fast.goal,
                notes=fast.notes,
            )
            for fast in fasts
        )
    return dataset


def docs_dataset() -> Dataset:
    """The document's example as data: ``GET /api/sessions`` reproduces the spec's examples.

    Alex (token ``fst_alex_…``) has the three completed fasts of the spec's examples --
    ``cm1abc123def`` (the document's), then ``cm1xyz789ghi`` (the one its ``nextCursor`` names)
    and ``cm1old000aaa`` -- plus an active fast, which never shows. With ``pageSize=1`` the first
    page is the document's example, except that ``nextCursor`` is ``cm1abc123def`` (our rule: the
    last returned id) rather than the abbreviated example's ``cm1xyz789ghi``, which is instead
    the first session of the next page; ``cursor=cm1abc123def`` with the default page size (or any
    of at least 2) then gives the spec's ``last-page`` example exactly. Sam has only an active
    fast: the spec's ``empty`` example.
    The users, tokens and active fasts are ours; the document gives none.
    """
    alex = User("cm1usr000one", "Alex Example", "alex@example.com", "fst_alex_" + "d0c5" * 8)
    sam = User("cm1usr000two", "Sam Newcomer", "sam@example.com", "fst_sam_" + "5a11" * 8)

    def session(
        sid: str, user: User, started: str, ended: str | None, goal: int | None, notes: str | None
    ) -> StoredSession:
        return StoredSession(
            id=sid, userId=user.id, startedAt=started, endedAt=ended, goalMinutes=goal, notes=notes
        )

    return Dataset(
        users=[alex.to_dict(), sam.to_dict()],
        sessions=[
            session(
                "cm1old000aaa",
                alex,
                "2026-02-20T20:00:00.000Z",
                "2026-02-21T12:15:00.000Z",
                960,
                "Broke it early with coffee",
            ),
            session(
                "cm1xyz789ghi",
                alex,
                "2026-02-23T19:30:00.000Z",
                "2026-02-24T11:30:00.000Z",
                None,
                None,
            ),
            session(
                "cm1abc123def",
                alex,
                "2026-02-25T08:00:00.000Z",
                "2026-02-25T20:00:00.000Z",
                960,
                "Felt great today",
            ),
            session("cm1act000one", alex, "2026-02-26T07:30:00.000Z", None, 960, None),
            session("cm1act000two", sam, "2026-02-26T06:00:00.000Z", None, None, None),
        ],
    )


class _Fast(NamedTuple):
    start: int  # milliseconds since the epoch
    end: int | None
    goal: int | None
    notes: str | None


def _timeline(rng: random.Random, now_ms: int) -> list[_Fast]:
    """One user's fasts, oldest first: built backwards from ``now``, eating windows between."""
    favourite = _pick_regimen(rng)
    newest_first: list[_Fast] = []
    if rng.random() < 0.5:
        elapsed = max(10 * _MINUTE, int(rng.uniform(0.05, 0.9) * favourite.goal_minutes * _MINUTE))
        newest_first.append(_Fast(now_ms - elapsed, None, favourite.goal_minutes, None))
        latest_end = now_ms - elapsed - _eating_gap(rng, favourite)
    else:
        latest_end = now_ms - rng.randint(30 * _MINUTE, 30 * _HOUR)
    for _ in range(rng.randint(29, 89)):  # and the tie's duplicate below: 30 to 90 completed
        regimen = favourite if rng.random() < 0.8 else _pick_regimen(rng)
        broken_early = rng.random() < 0.12
        factor = rng.uniform(0.3, 0.8) if broken_early else min(1.35, rng.gauss(1.0, 0.1))
        duration = max(45 * _MINUTE, int(regimen.goal_minutes * _MINUTE * factor))
        goal = None if rng.random() < 0.12 else regimen.goal_minutes
        bank = _NOTES_EARLY if broken_early else _NOTES_AT_GOAL
        notes = rng.choice(bank) if rng.random() < 0.45 else None
        newest_first.append(_Fast(latest_end - duration, latest_end, goal, notes))
        latest_end = latest_end - duration - _eating_gap(rng, regimen)
    fasts = newest_first[::-1]
    completed = len(fasts) - (fasts[-1].end is None)

    # Notes at and near the limit, on fasts chosen at random.
    at_limit, near_limit, accented = rng.sample(range(completed), 3)
    fasts[at_limit] = fasts[at_limit]._replace(notes=_journal(rng, NOTES_MAX_LENGTH))
    fasts[near_limit] = fasts[near_limit]._replace(notes=_journal(rng, rng.randint(240, 279)))
    fasts[accented] = fasts[accented]._replace(notes="Crème brûlée at the party ended this one 😅")

    # The tie: a duplicate starting at the same millisecond, ended within minutes (inside its twin).
    twin = rng.randrange(completed)
    original = fasts[twin]
    assert original.end is not None  # `twin` indexes a completed fast
    length = min(rng.randint(1, 20) * _MINUTE, (original.end - original.start) // 2)
    notes = rng.choice((*_NOTES_TWIN, None))
    fasts.insert(twin + 1, _Fast(original.start, original.start + length, original.goal, notes))
    return fasts


def _pick_regimen(rng: random.Random) -> _Regimen:
    return rng.choices(_REGIMENS, weights=[r.weight for r in _REGIMENS])[0]


def _eating_gap(rng: random.Random, regimen: _Regimen) -> int:
    gap = max(0.5, rng.gauss(regimen.eating_hours, 1.5)) * _HOUR
    if rng.random() < 0.4:  # days off between fasts
        gap += rng.randint(1, 3) * _DAY
    return int(gap) + rng.randrange(_MINUTE)


def _journal(rng: random.Random, length: int) -> str:
    """A note of exactly ``length`` characters, cut mid-sentence like a form's ``maxlength``."""
    while True:
        # Reshuffle rather than end on a space: the real app would likely trim it, and then the
        # note would no longer be at the limit.
        text = " ".join(rng.sample(_JOURNAL, len(_JOURNAL)))[:length]
        if not text[-1].isspace():
            return text


class _Cuids:
    """cuid v1 layout: ``c``, time (8), counter (4), host fingerprint (4), random (8); the time
    is ``created_ms`` moved by ``shift`` milliseconds."""

    def __init__(self, fingerprint: str, shift: int) -> None:
        self._fingerprint = fingerprint
        self._shift = shift
        self._counter = 0
        self._issued: set[str] = set()

    def make(self, created_ms: int, rng: random.Random) -> str:
        while True:
            self._counter += 1
            cuid = "".join(
                (
                    "c",
                    _base36(created_ms + self._shift, 8),
                    _base36(self._counter, 4),
                    self._fingerprint,
                    _base36(rng.randrange(36**8), 8),
                )
            )
            if cuid not in self._issued:
                self._issued.add(cuid)
                return cuid


def _base36(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 36)
        digits.append(_BASE36[digit])
    return "".join(reversed(digits))  # the low `width` digits, zero-padded, as cuid does


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", ascii_name.lower())


def _milliseconds(when: datetime) -> int:
    if when.tzinfo is None:
        raise ValueError("now needs a time zone (e.g. datetime.now(UTC))")
    return (when - _EPOCH) // timedelta(milliseconds=1)


def _timestamp(ms: int) -> str:
    return format_timestamp(_EPOCH + timedelta(milliseconds=ms))
