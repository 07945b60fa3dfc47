"""Notifications: the in-app inbox (inbox), many at once for the reminder jobs (batch), external
channels and their delivery log (channels, delivery, delivery_log), the daily digest (digest), and
reminders marked done once their cause is resolved (settle).
What to remind people of is crm.services.reminders.
"""
