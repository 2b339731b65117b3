"""Outbound channels: email and the DingTalk, WeCom and Feishu group robots, behind one interface.

`base.ChannelAdapter` is the interface; `ADAPTERS` builds one adapter per channel. The unit's
configuration (address, webhook URL, secret, no-disturb hours) lives in `models.py` and is set
through `router.py`; the delivery worker (`notify_svc.delivery.worker`) calls the adapters.
"""
