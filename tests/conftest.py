"""Fixture modules live in tests/fixtures/, one per concern."""

pytest_plugins = [
    "tests.fixtures.db",
    "tests.fixtures.pg_cluster",
    "tests.fixtures.sandbox",
    "tests.fixtures.bot",
    "tests.fixtures.webserver",
]
