"""Code that Rasa loads (Python 3.10, Rasa's venv): NLU components, channels, and the domain. No torch here."""
