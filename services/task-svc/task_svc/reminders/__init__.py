"""Reminders (催办): one task or many, with a daily cap."""
