"""In-app notifications: made from task events, read through the API, pushed over SSE.

Delivery channels beyond the in-app inbox (email, DingTalk/WeCom/Feishu webhooks) can hang off
the same committed notifications later, next to the live stream in `hub.py`.
"""
