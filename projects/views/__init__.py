"""Views of the projects app: applications.py (đề án), planning.py (plans, money, norms)."""
