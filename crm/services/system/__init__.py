"""The system itself: reference data from seeds (reference), backup and restore (backup), the jobs'
heartbeat read back (job_status), and the warnings shown to admins (warnings).
"""
