"""The shared fixtures, each in tests/fixtures/ by what it provides; helpers in tests/support/.

Test files import helpers from tests.support, never from this file.
"""

pytest_plugins = [
    "tests.fixtures.app",
    "tests.fixtures.services",
    "tests.fixtures.world",
    "tests.fixtures.demo",
    "tests.fixtures.reporting",
]
