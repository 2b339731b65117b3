"""A local copy of the org directory, kept from unit.upserted events."""
