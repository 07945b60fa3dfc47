"""User accounts: creation and administration (accounts), authentication with lock-out and the
per-address login throttle, and the read side of the user admin pages (queries).
"""
