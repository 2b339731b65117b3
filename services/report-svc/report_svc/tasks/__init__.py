"""Read model of tasks and their latest indicator values."""
