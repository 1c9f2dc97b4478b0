"""Planning and money at the level of the province: funding sources, programmes (giai đoạn)
with budgets and targets, annual plans, allocations (kinh phí được giao), support norms and the
reference lists, and `budget.py`, the figures derived from them.

Imports the core and `projects.models` only; applications and everything after build on it.
"""
