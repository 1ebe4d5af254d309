"""State-tracking checks: the error envelope, the rate-limit headers, the documented state
machine of sessions and tasks, docker slots, and the stale, active, by-project and progress
figures against the records.

Every rule comes from `specs/state-tracking.yaml` (its "Modelling choices") or the document it
models (`shared/api-docs/state-tracking.md`); each check's docstring says which, and what it
deliberately leaves alone. The probes that write go through a `flow.Flow`, which creates the
sessions they need and purges them when they are done.

Importing this package registers the checks in this order (the order of reports):

- `envelope`: error_envelope
- `ratelimit`: rate_limit_headers, rate_limit_coverage
- `lifecycle`: session_state_machine, task_lifecycle
- `slots`: slot_conflict
- `capacity`: slot_counts
- `liveness`: stalled_reactivation, stale_consistency
- `grouping`: grouping_consistency

`answers`, `flow` and `progress` hold what those share and register nothing.
"""

from __future__ import annotations

# isort: off
# Import order is registration order; no check module imports another, so each registers here.
from mockgate.contracts.checks.state_tracking.envelope import ERROR_CODES, error_envelope
from mockgate.contracts.checks.state_tracking.ratelimit import (
    rate_limit_coverage,
    rate_limit_headers,
)
from mockgate.contracts.checks.state_tracking.lifecycle import (
    IMMUTABLE_FIELDS,
    session_state_machine,
    task_lifecycle,
)
from mockgate.contracts.checks.state_tracking.slots import slot_conflict
from mockgate.contracts.checks.state_tracking.capacity import slot_counts
from mockgate.contracts.checks.state_tracking.liveness import (
    stale_consistency,
    stalled_reactivation,
)
from mockgate.contracts.checks.state_tracking.grouping import grouping_consistency

# isort: on

__all__ = [
    "ERROR_CODES",
    "IMMUTABLE_FIELDS",
    "error_envelope",
    "grouping_consistency",
    "rate_limit_coverage",
    "rate_limit_headers",
    "session_state_machine",
    "slot_conflict",
    "slot_counts",
    "stale_consistency",
    "stalled_reactivation",
    "task_lifecycle",
]
