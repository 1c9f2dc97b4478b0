"""After approval: contract start, monitoring visits and follow-up actions, progress reports
(`schedule.py`), disbursements under the project lock (`disbursements.py`), the acceptance
review and settlement (`steps.py`), their forms and the follow-through lists.

Builds on `projects.applications` (its workflow machinery and action forms); never imports
detail or reports.
"""
