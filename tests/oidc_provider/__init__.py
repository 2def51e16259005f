"""A real OpenID provider for the ThaiD sign-in tests: django-oauth-toolkit in its OIDC mode.

`server.start_provider()` runs it as a separate process on loopback, with an RSA key of its own
made at start, a SQLite database in a temporary directory, the OpenDMC client registered and the
accounts the tests ask for. It is not part of OpenDMC (see ``__main__.py``).
"""
