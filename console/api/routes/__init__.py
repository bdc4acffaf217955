"""Part of the console app."""
