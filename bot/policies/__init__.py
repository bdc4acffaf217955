"""Custom Rasa policies (loaded in Rasa's environment)."""
