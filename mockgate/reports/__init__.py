"""Renderings of a ``Report``: a console summary, JUnit XML for CI, a self-contained HTML page."""
