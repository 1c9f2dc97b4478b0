"""The đề án from draft to approval: `workflow.py` (one function per transition, row locks,
events), `norms.py` (support norms at the project's date), forms, the project list and its
filters and Excel export, documents, comments, field history and "Việc của tôi".

Imports the core, facilities and `projects.planning`; never closeout, detail or reports.
"""
