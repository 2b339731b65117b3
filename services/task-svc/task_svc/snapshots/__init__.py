"""Re-emission of task-svc's current state (tasks.snapshotted) and the counts the consistency check compares."""
