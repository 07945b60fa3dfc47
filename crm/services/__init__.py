"""Domain services: the only code that changes data or applies rules.

Services flush, never commit: the view, job or CLI command commits once at its boundary.
They take `actor` and `today` as arguments and never read the request or current_user.
"""


class ServiceError(ValueError):
    """A rule refused the operation; the message is Chinese and shown to the user as is."""
