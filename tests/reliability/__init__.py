"""Helpers, data and the figures plugin of the reliability and security suite (tests/test_reliability_*)."""
