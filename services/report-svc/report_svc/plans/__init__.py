"""Read model of published plans, their items and indicators."""
