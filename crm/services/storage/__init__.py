"""Where files live: attachments, import uploads and generated reports, on the filesystem (one host, or a
shared disk) or in the database (several hosts on one PostgreSQL; backups then include the files)."""
