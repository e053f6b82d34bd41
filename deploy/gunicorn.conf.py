"""gunicorn's settings for shequ's web servers: `gunicorn -c deploy/gunicorn.conf.py dashboard.wsgi:app`.

Read again on `systemctl reload shequ-web` (SIGHUP: new workers start, the old ones finish their requests). The
address, workers and threads may come from the environment file (deploy/shequ.env.example); a command-line option
(`-w 4`, `--bind`) wins over both.
"""
import os

# Behind nginx on the same machine: loopback only. Another machine's nginx: the private address, never 0.0.0.0
# on a public interface.
bind = [os.environ.get("SHEQU_BIND", "127.0.0.1:8050")]
workers = int(os.environ.get("SHEQU_WORKERS", "4"))
# Threads: a page opens with a dozen callbacks at once, and the upload's progress is polled every 250 ms.
worker_class = "gthread"
threads = int(os.environ.get("SHEQU_THREADS", "2"))

# A worker that answers nothing for this long is replaced. Long work (the upload's checks and loads) runs as a
# background job, not in the request; an export of every period is the slowest request (seconds).
timeout = 120
# On a restart or reload, requests under way get this long to finish.
graceful_timeout = 60
keepalive = 5

# Not preloaded: each worker starts its own warm-up thread (dashboard/wsgi.py), which a fork would not carry,
# and its own database connections.
preload_app = False

# systemd restarts and reloads it by signal (deploy/systemd/shequ-web.service); gunicorn ≥ 25's control socket
# would sit in the service user's home and collide between two instances on one machine. Older gunicorns ignore it.
control_socket_disable = True

# Logs: access lines on stdout, gunicorn's own on stderr; systemd sends both to the journal
# (`journalctl -u shequ-web`). %(h)s is the client's address as the app sees it: nginx's X-Forwarded-For read by
# the app's SHEQU_PROXY_HOPS rule (dashboard/proxy.py), the same address the audit log records.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("SHEQU_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

# The app's own logs (logger names dashboard.*, etl.*): without a handler Python prints warnings and above to
# stderr and drops the rest, so the warm-up's "data version … warm" and other INFO lines were lost. The root
# logger gets one handler on stdout; gunicorn's loggers keep theirs ("loggers" left empty).
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"app": {"format": "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "app", "stream": "ext://sys.stdout"}},
    "root": {"level": loglevel.upper(), "handlers": ["stdout"]},
    "loggers": {},
}
