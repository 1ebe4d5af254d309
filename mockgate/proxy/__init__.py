"""``mockgate proxy``: a validating reverse proxy in front of a real implementation of an API.

``app`` (the ASGI app), ``forward`` (httpx, bounds, headers), ``validate`` (openapi-core),
``violations`` (what was found, with the exchange), ``report`` (JSON, JUnit XML, HTML).
"""
