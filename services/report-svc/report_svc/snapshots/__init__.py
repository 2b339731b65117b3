"""Dated snapshots of a plan's figures (情况通报), manual or scheduled."""
