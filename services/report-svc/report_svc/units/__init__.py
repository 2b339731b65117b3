"""Local copy of the org directory (from unit.upserted)."""
