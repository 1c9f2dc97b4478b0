"""Core views. The home page (Tổng quan) is the dashboard in projects/reports/views.py."""
