"""The database: tables, set-up and migrations, loading a return, queries, the recompute, publishing, users, the audit log, backups."""
