"""mockgate's conformance suites: check any implementation of the specs, from a CLI or pytest.

``runner.verify(target, options)`` runs schemathesis (schema and stateful conformance, with
mockgate's semantic checks added) and mockgate's probes (multi-request oracles) and returns a
``Report``; ``reporting`` renders it for a console, JUnit and HTML; ``plugin`` is the pytest plugin.
"""
