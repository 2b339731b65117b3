"""Helpers for tests of any service: a real embedded broker, real databases, apps in process."""

# Tests' consumer groups: Tansu holds a new group's first assignment for half the session timeout, and
# a test starts dozens of groups; 3 s keeps three missed heartbeats of slack on a loaded 2-core machine.
TEST_SESSION_TIMEOUT_MS = 3_000
