"""Running the portal in production: backups, health, logging (issue 16).

Core code: nothing here imports `facilities` or `projects`; tables are found through
`apps.get_models()`.
"""
