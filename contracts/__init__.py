"""mockgate's conformance suites: schemathesis-based checks of any implementation of the specs.

Empty until the conformance issue lands; it ships now so the import name is reserved and the
wheel layout is final.
"""
