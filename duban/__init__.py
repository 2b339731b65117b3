"""duban package."""
