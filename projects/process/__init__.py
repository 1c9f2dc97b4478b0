"""Whose turn it is. `turns.py` tells the people who must act next when a step is taken (through
the core outbox: in the same transaction as the step, delivered after commit by Celery, once);
`mywork.py` lists, for each person, what waits for them through the whole life of a project
("Việc của tôi" and the dashboard), with due dates and overdue marks.

`people.py` says who answers for a project (the responsible officer, the locality's officers,
centre staff, managers, in scope); the daily reminders use it too.

Reads planning, applications and closeout; reminders, reports and the URL configuration import
it.
"""
