"""The HTTP toolkit every router uses: the platform dependency and the one write wrapper
(``deps``), the one error mapper (``problems``), the body limit, the security headers and the
OpenAPI additions."""
