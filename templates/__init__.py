"""Jinja2 templates and stylesheets for closegate's reports (package data, loaded by `reporting`)."""
