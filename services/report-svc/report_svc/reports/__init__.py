"""Statistics, indicator aggregation and the Excel export."""
