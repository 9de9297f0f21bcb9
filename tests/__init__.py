"""The test suite. A package, so every test imports shared code the same way: ``from tests.support… import``."""
