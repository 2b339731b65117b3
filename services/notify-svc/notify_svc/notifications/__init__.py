"""Notices: made from task events, read through the API, pushed over SSE on every replica.

Each notice's email and robot deliveries are written with it (`notify_svc.delivery`); the live
stream of other replicas is fed through the broker (`live.py`). See docs/notifications.md.
"""
