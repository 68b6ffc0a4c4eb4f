"""The page controllers of the web app."""
