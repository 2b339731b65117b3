"""Deadlines: working-day warning levels and the scheduler that moves them."""
