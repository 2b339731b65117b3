"""Digests: new tasks arrive in tasks.assigned batches and are told as ONE notice per unit on plan.dispatched."""
