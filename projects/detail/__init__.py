"""The project page (/de-an/<id>/): the application, its status steps, documents, comments,
close-out sections and history on one screen, and the workflow buttons.

It composes applications and closeout; nothing but the URL configuration imports it.
"""
