"""Kefu's app-side plumbing: settings and the process supervisor behind `make run`."""
