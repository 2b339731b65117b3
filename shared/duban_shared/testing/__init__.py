"""Helpers for tests of any service: a real embedded broker, real databases, apps in process."""
