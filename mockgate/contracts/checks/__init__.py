"""Every semantic check module; importing this package registers them all, in this order (the
order of reports):

- `common`: page_size_bound
- `paging`: paging_clamp, page_walk
- `filters`: filter_match
- `totals`: list_total
- `auth`: auth_required
- `agentlens`: hash_chain, session_counters
- `fasting`: completed_only, newest_first, user_isolation
- `state_tracking/` (a package, one module per group): error_envelope, rate_limit_headers,
  rate_limit_coverage, session_state_machine, task_lifecycle, slot_conflict, slot_counts,
  stalled_reactivation, stale_consistency, grouping_consistency
- `piorchestrator`: evidence_summary, pair_consistency, image_data_jpeg,
  optional_fields_not_null, session_counters_match_evidence, pair_matches_evidence, image_proxy

A check is registered by its decorator (``registry.response_check`` or ``registry.probe``) and
proven by a test that runs it against a deliberately broken server (``tests/contracts``).
"""

# isort: off
from mockgate.contracts.checks import common  # noqa: F401
from mockgate.contracts.checks import paging  # noqa: F401
from mockgate.contracts.checks import filters  # noqa: F401
from mockgate.contracts.checks import totals  # noqa: F401
from mockgate.contracts.checks import auth  # noqa: F401
from mockgate.contracts.checks import agentlens  # noqa: F401
from mockgate.contracts.checks import fasting  # noqa: F401
from mockgate.contracts.checks import state_tracking  # noqa: F401
from mockgate.contracts.checks import piorchestrator  # noqa: F401
# isort: on
