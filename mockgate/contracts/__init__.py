"""mockgate's conformance suites: check any implementation of the specs, from a CLI or pytest.

``runner.verify(target, options)`` runs schemathesis (schema and stateful conformance, with
mockgate's semantic checks added) and mockgate's probes (multi-request oracles) and returns a
``Report`` (``mockgate.reports`` renders it for a console, JUnit and HTML; the pytest plugin is
``mockgate.pytest_plugin``).
"""
