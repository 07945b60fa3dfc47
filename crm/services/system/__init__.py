"""The system itself: backup and restore (backup), the jobs' heartbeat written, one run of a job at a
time (job_runs), and read back (job_status), and the warnings shown to admins (warnings).
"""
