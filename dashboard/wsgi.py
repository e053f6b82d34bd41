"""For gunicorn and other WSGI servers: `gunicorn -w 4 dashboard.wsgi:app` (database from SHEQU_DATABASE_URL)."""
from .app import create_app, start_serving

_dash_app = create_app()
start_serving(_dash_app)
app = _dash_app.server
