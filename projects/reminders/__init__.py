"""Reminders of what is due: `rules.py` registers the kinds of reminder with the core outbox
(khuyencong/notifications.py) and scans the records for them; `tasks.py` holds the thin Celery
tasks that beat runs.

Reads applications, closeout and planning; nothing imports it but the tasks and the
`send_reminders` command.
"""
