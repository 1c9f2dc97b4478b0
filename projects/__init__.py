"""Đề án khuyến công: funding, applications, close-out, reminders and reports.

One package per capability; the data of all of them stays in `models/` (one file per
capability) so the app label and its migrations never move.

    planning/      funding sources, programmes, annual plans, allocations, norms and reference
                   lists; budget figures (allocated, approved, disbursed, settled, remaining)
    applications/  the đề án itself: the workflow up to approval, support norms, documents,
                   comments, the project list and export, "Việc của tôi"
    closeout/      after approval: contract start, monitoring visits and follow-up actions,
                   progress reports, disbursements, acceptance review, settlement
    detail/        the project page: every capability's part of one project, and the workflow
                   buttons
    reminders/     the daily scan that finds what is due and the Celery tasks around it
    process/       whose turn it is: who is told at each step, and "Việc của tôi"
    reports/       the dashboard and the reports, their filter forms, views and Excel files

What may import what (nothing imports in a circle; tests/test_architecture.py checks it):

    khuyencong (core) ← facilities ← projects
    planning ← applications ← closeout ← detail
                                       ← process ← reminders
    reports may read every capability; no capability imports reports.
"""
