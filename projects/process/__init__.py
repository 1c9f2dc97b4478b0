"""Whose turn it is. `turns.py` tells the people who must act next when a step is taken (through
the core outbox: in the same transaction as the step, delivered after commit by Celery, once);
`mywork.py` lists, for each person, what waits for them through the whole life of a project
("Việc của tôi" and the dashboard), with due dates and overdue marks.

Reads planning, applications, closeout and the reminders' directory of recipients; only detail,
reports and the URL configuration import it.
"""
