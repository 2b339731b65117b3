"""Precomputed figures per plan, section, item, level, district and unit."""
