"""gunicorn settings for production: `gunicorn --config gunicorn.conf.py app:app`.

gunicorn also reads this file by itself when started from this folder without `--config`.
Every value can be overridden on the command line or in GUNICORN_CMD_ARGS, which win over
this file.
"""

import os


def _bind(environ=os.environ):
    """HELPDESK_BIND, else PORT (set by Procfile runners) on every address, else loopback."""
    if environ.get("HELPDESK_BIND"):
        return environ["HELPDESK_BIND"]
    if environ.get("PORT"):
        return f"0.0.0.0:{environ['PORT']}"
    return "127.0.0.1:8000"


bind = _bind()

# Sync workers: each request holds one process, so a slow page never starves the others
# through a shared event loop. Two per core is gunicorn's usual starting point.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
# The app reads the count from here to warn when login limits are kept in each worker apart.
os.environ["WEB_CONCURRENCY"] = str(workers)
worker_class = "sync"

# A request still running after `timeout` seconds is killed (and its transaction rolled back);
# on a restart, running requests get `graceful_timeout` seconds to finish.
timeout = 60
graceful_timeout = 30

# Workers import the app after the fork: each opens its own database connections, and
# `kill -HUP` reloads new code without a restart.
preload_app = False

# Access and error log to stdout/stderr: journald or the Procfile runner keeps them. An empty
# HELPDESK_ACCESS_LOG turns the access log off (when the proxy in front logs requests already).
accesslog = os.environ.get("HELPDESK_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# X-Forwarded-Proto and friends are believed only from these addresses (gunicorn's default is
# 127.0.0.1). Behind a proxy on another machine, set FORWARDED_ALLOW_IPS to its address; the
# client address the app uses comes from HELPDESK_PROXY_COUNT, not from this.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server):
    """Log once where the master listens; informational only."""
    server.log.info("helpdesk: %s worker(s) on %s", server.cfg.workers, ", ".join(server.cfg.bind))


def post_fork(server, worker):
    """Log each worker's start, so a restart loop is visible in the log; informational only."""
    server.log.info("helpdesk: worker %s started", worker.pid)
