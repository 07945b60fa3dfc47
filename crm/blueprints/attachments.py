"""Sending a stored attachment: shared by the visit and problem blueprints (their loaders check access)."""

from flask import abort, send_file

from crm.models import Attachment
from crm.services.common.attachments import open_attachment


def send_attachment(att: Attachment):
    """The attachment's file (404 if missing); the caller has checked who may see it."""
    stream = open_attachment(att)
    if stream is None:
        abort(404)
    # Images open in the page (thumbnails); anything else downloads. nosniff is set globally.
    response = send_file(
        stream, mimetype=att.content_type, as_attachment=not att.is_image, download_name=att.filename
    )
    response.content_length = att.size
    response.headers["Cache-Control"] = "private, no-cache"
    return response
