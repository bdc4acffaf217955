"""Human handoff: escalations, the queue, agents, transcripts, notes, ratings and offline tickets (app venv)."""
