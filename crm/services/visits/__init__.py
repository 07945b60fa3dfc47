"""走访: logging and correcting visits (records), each firm's last contact (summary), the cadence
rules per park (settings, cadence), many firms' cadence at once (coverage), and the visit log (queries);
the reminders a logged visit answered (answers) and the preview of a handover with its due dates (handover).
"""
