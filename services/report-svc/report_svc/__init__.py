"""report-svc: read models of plans and tasks, and the statistics built on them."""
