"""Delivery of the briefing and of reminders: e-mail (SMTP), group robots (WeCom, DingTalk), on a schedule."""
