"""Rebuild from task-svc's re-emitted state, and the figures the consistency check compares."""
