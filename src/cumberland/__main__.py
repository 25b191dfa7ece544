"""``python -m cumberland``."""

from cumberland.cli import app

app()
