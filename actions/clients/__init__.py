"""Clients of systems outside Kefu, each with a local mode that needs nothing running."""
