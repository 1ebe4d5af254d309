"""The mocked APIs, without HTTP: ``base`` (``MockApi``, what each API adds), ``context`` (what
one running mock holds), ``datasets`` (the state a mock starts with), and one package per API
(its rules, seed data, request guards and handlers)."""
