"""What a conformance run or the proxy found (``findings``: ``Finding``, ``Report``; ``exchange``:
``Exchange``), and its renderings: a console summary, JUnit XML for CI, a self-contained HTML
page. Shared by ``mockgate.contracts`` and ``mockgate.proxy``, it imports neither."""
