"""Entry point for `flask --app wsgi` and gunicorn (`gunicorn wsgi:app`)."""

import os

from carte import create_app

app = create_app(os.environ.get("CARTE_CONFIG", "config.Config"))
