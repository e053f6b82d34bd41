"""For gunicorn and other WSGI servers: `gunicorn -w 4 dashboard.wsgi:app` (database from SHEQU_DATABASE_URL)."""
from . import warmup
from .app import create_app

app = create_app().server
warmup.start(app)
