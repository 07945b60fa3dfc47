"""Notifications: the in-app inbox (inbox), many at once for the reminder jobs (batch), external
channels and their delivery log (channels, delivery, delivery_log) and the daily digest (digest).
What to remind people of is crm.services.reminders.
"""
