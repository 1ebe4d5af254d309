"""The AgentLens hash chain: known vectors, linking, and verification catching every tampering."""

from __future__ import annotations

import copy
import hashlib
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockgate.apis.agentlens.hashchain import chained, event_hash, link, verify

# Chosen to exercise what a naive serialiser gets wrong: a non-ASCII string, an index-like key
# after a name, an integral float, a number needing an exponent, and a nested object.
EVENT = {
    "id": "01JN4Q8Z3K5M7P9R1T3V5X7Z9C",
    "timestamp": "2026-02-09T14:00:02.120Z",
    "sessionId": "sess_01HZZZ",
    "agentId": "my-agent",
    "eventType": "tool_call",
    "severity": "info",
    "payload": {"toolName": "recherche", "callId": "c1", "arguments": {"q": "café", "2": 1.0}},
    "metadata": {"ratio": 1e-7},
}
PREV = "49df6b2b79990938f464b5d0441c9f81f139a4f1aaa93e858b5c883b7b5d23ae"
# Written by hand from the algorithm on TimelineEvent.hash in specs/agentlens.yaml.
CANONICAL = (
    '{"v":2,"id":"01JN4Q8Z3K5M7P9R1T3V5X7Z9C","timestamp":"2026-02-09T14:00:02.120Z",'
    '"sessionId":"sess_01HZZZ","agentId":"my-agent","eventType":"tool_call","severity":"info",'
    '"payload":{"toolName":"recherche","callId":"c1","arguments":{"2":1,"q":"café"}},'
    '"metadata":{"ratio":1e-7},"prevHash":"' + PREV + '"}'
)


def _timeline_example(spec, name):
    operation = spec["paths"]["/api/sessions/{id}/timeline"]["get"]
    examples = operation["responses"]["200"]["content"]["application/json"]["examples"]
    return examples[name]["value"]


def test_hash_is_sha256_of_the_canonical_json():
    assert event_hash(EVENT, PREV) == hashlib.sha256(CANONICAL.encode("utf-8")).hexdigest()


def test_first_event_hashes_null_prev_hash():
    canonical = CANONICAL.replace(f'"prevHash":"{PREV}"', '"prevHash":null')
    assert event_hash(EVENT, None) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_hash_matches_node(node):
    assert event_hash(EVENT, PREV) == node.event_hash({**EVENT, "prevHash": PREV})


def test_prev_hash_argument_wins_over_the_field():
    assert event_hash({**EVENT, "prevHash": "something else"}, PREV) == event_hash(EVENT, PREV)


def test_spec_verified_chain_recomputes(agentlens_spec):
    events = _timeline_example(agentlens_spec, "verified-chain")["events"]
    assert [e["hash"] for e in link(events)] == [e["hash"] for e in events]
    assert verify(events)


def test_spec_tampered_chain_fails(agentlens_spec):
    assert not verify(_timeline_example(agentlens_spec, "tampered-chain")["events"])


def _chain(n=4):
    drafts = [
        {**EVENT, "id": f"01JN4Q8Z3K5M7P9R1T3V5X7Z{i:02d}", "payload": {"step": i}}
        for i in range(n)
    ]
    return link(drafts)


def test_link_sets_prev_hash_and_hash_in_order():
    chain = _chain()
    assert chain[0]["prevHash"] is None
    for before, after in itertools.pairwise(chain):
        assert after["prevHash"] == before["hash"]
    assert all(e["hash"] == event_hash(e, e["prevHash"]) for e in chain)


def test_link_does_not_modify_its_input():
    drafts = [dict(EVENT)]
    link(drafts)
    assert drafts == [EVENT]


def test_link_continues_an_existing_chain():
    chain = _chain(4)
    continued = chain[:2] + link(
        [{k: v for k, v in e.items() if k not in ("prevHash", "hash")} for e in chain[2:]],
        chain[1]["hash"],
    )
    assert continued == chain


@pytest.mark.parametrize(
    "events",
    [
        pytest.param([], id="empty"),
        pytest.param(_chain(1), id="one-event"),
        pytest.param(_chain(5), id="five-events"),
    ],
)
def test_intact_chains_verify(events):
    assert verify(events)


def _unchained(n=3):
    """Events that each hash on their own, every ``prevHash`` null (OTLP-ingested telemetry)."""
    return [link([event])[0] for event in _chain(n)]


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param([], False, id="empty"),
        pytest.param(_chain(1), False, id="one-event"),
        pytest.param(_chain(3), True, id="linked"),
        pytest.param(_unchained(), False, id="every-prev-hash-null"),
    ],
)
def test_chained_says_whether_any_event_links(events, expected):
    assert chained(events) is expected


def test_an_unchained_timeline_is_verified_event_by_event():
    """As the real server does: every own hash recomputes with a null prevHash."""
    events = _unchained()
    assert verify(events)
    tampered = copy.deepcopy(events)
    tampered[1]["payload"]["step"] = 99
    assert not verify(tampered)
    # Linking the events afterwards is not enough: a chained timeline is verified strictly.
    relinked = [events[0], {**events[1], "prevHash": events[0]["hash"]}, events[2]]
    assert chained(relinked)
    assert not verify(relinked)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("id", "01JN4Q8Z3K5M7P9R1T3V5X7ZZZ", id="id"),
        pytest.param("timestamp", "2026-02-09T14:00:02.121Z", id="timestamp"),
        pytest.param("sessionId", "sess_other", id="sessionId"),
        pytest.param("agentId", "other-agent", id="agentId"),
        pytest.param("eventType", "custom", id="eventType"),
        pytest.param("severity", "debug", id="severity"),
        pytest.param("payload", {"step": 99}, id="payload"),
        pytest.param("metadata", {"host": "x"}, id="metadata"),
        pytest.param("prevHash", "0" * 64, id="prevHash"),
        pytest.param("hash", "0" * 64, id="hash"),
    ],
)
@pytest.mark.parametrize("position", [0, 2, 3], ids=["first", "middle", "last"])
def test_tampering_any_field_breaks_the_chain(field, value, position):
    chain = _chain(4)
    chain[position][field] = value
    assert not verify(chain)


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda c: [c[1], c[0], *c[2:]], id="swap-first-two"),
        pytest.param(lambda c: [*c[:2], c[3], c[2]], id="swap-last-two"),
        pytest.param(lambda c: [c[0], *c[2:]], id="drop-middle"),
        pytest.param(lambda c: c[1:], id="drop-first"),
        pytest.param(lambda c: [*c, c[-1]], id="duplicate-last"),
        pytest.param(lambda c: [*c[:2], {**c[2], "prevHash": None}, c[3]], id="unlink-middle"),
        pytest.param(
            lambda c: [{k: v for k, v in c[0].items() if k != "metadata"}, *c[1:]],
            id="missing-field",
        ),
        pytest.param(lambda c: [*c[:3], link([c[3]], c[2]["hash"] + "0")[0]], id="relinked-badly"),
    ],
)
def test_reordering_or_breaking_links_breaks_the_chain(edit):
    assert not verify(edit(_chain(4)))


_payloads = st.dictionaries(
    st.text(max_size=5),
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    max_size=4,
)


@settings(max_examples=40, deadline=None)
@given(payloads=st.lists(_payloads, min_size=1, max_size=6), data=st.data())
def test_any_payload_edit_after_linking_is_detected(payloads, data):
    chain = link({**EVENT, "id": f"e{i}", "payload": p} for i, p in enumerate(payloads))
    assert verify(chain)
    victim = data.draw(st.integers(0, len(chain) - 1), label="victim")
    edited = copy.deepcopy(chain)
    edited[victim]["payload"] = {**edited[victim]["payload"], "__edited__": True}
    assert not verify(edited)
