"""Evidence files (佐证材料) of tasks."""
