"""Every semantic check module; importing this package registers them all, in this order (the
order of reports):

- `common`: page_size_bound
- `paging`: paging_clamp, page_walk
- `filters`: filter_match
- `auth`: auth_required
- `agentlens`: hash_chain, session_counters
- `fasting`: completed_only, newest_first, user_isolation
"""

# isort: off
from mockgate.contracts.checks import common  # noqa: F401
from mockgate.contracts.checks import paging  # noqa: F401
from mockgate.contracts.checks import filters  # noqa: F401
from mockgate.contracts.checks import auth  # noqa: F401
from mockgate.contracts.checks import agentlens  # noqa: F401
from mockgate.contracts.checks import fasting  # noqa: F401
from mockgate.contracts.checks import state_tracking  # noqa: F401
from mockgate.contracts.checks import piorchestrator  # noqa: F401
# isort: on
