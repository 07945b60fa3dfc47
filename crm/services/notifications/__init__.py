"""Notifications: the in-app inbox (inbox), many at once for the reminder jobs (batch), the reminders
themselves (reminders), external channels and their delivery log (channels, delivery, delivery_log)
and the daily digest (digest).
"""
