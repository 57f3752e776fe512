"""Gunicorn settings for Carte: `gunicorn -c gunicorn.conf.py wsgi:app` (what `make run` starts).

gthread workers: requests wait on the database and on numpy, both of which release the GIL, so
a few threads per worker serve more than more processes would, at no extra memory.

The app is loaded once in the master (`preload_app`), which also loads the in-memory report
index and its distinct-contributor orders (`when_ready`) before forking: every worker then
shares those arrays page for page, instead of each reading a million reports on its first
aggregate request and holding its own copy. Database connections opened for that are closed
before the fork (a connection must never be shared by two processes), and the garbage
collector's objects are frozen so that collections in the workers do not copy shared pages.

Environment: WEB_CONCURRENCY (workers, default 2 per CPU), GUNICORN_THREADS (default 4),
CARTE_PRELOAD (1: load in the master, the default; 0: each worker loads on start),
CARTE_BIND (default 127.0.0.1:8000; `-b` on the command line wins), CARTE_LOG_LEVEL (default INFO).

Logging: gunicorn's master and workers write through Carte's one handler and format
(`carte.logging_setup`); its own access log stays off, since `carte.request` writes one line per
request with the request id.
"""

import gc
import os
import signal
import sys

from carte.logging_setup import level_from_env, logconfig_dict as carte_logconfig

bind = os.environ.get("CARTE_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
preload_app = os.environ.get("CARTE_PRELOAD", "1") not in ("0", "false", "no")
timeout = 60
graceful_timeout = 30
keepalive = 5
loglevel = level_from_env().lower()
accesslog = None
logconfig_dict = carte_logconfig()


def _warm(app, log) -> None:
    """Load the report index (and its sorted keys), then close every database connection."""
    import time

    from carte.extensions import db

    started = time.perf_counter()
    with app.app_context():
        try:
            service = app.extensions["carte_aggregates"]
            service.warm(db.session)
            log.info(
                "report index: %d reports from the %s in %.2f s",
                len(service.index),
                service.index.loaded_from,
                time.perf_counter() - started,
            )
        except Exception as exc:  # noqa: BLE001 - a worker will load it on its first request
            log.warning("report index not loaded at start-up (%s); loaded on first use", exc)
        finally:
            db.session.remove()
            db.engine.dispose()
    _trim()


def _trim() -> None:
    """Hand the heap freed by the load (row chunks, sort temporaries) back to the system, so that
    it is not counted in every forked worker (glibc keeps it otherwise)."""
    import ctypes
    import ctypes.util

    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc


def when_ready(server):
    """In the master, before the first fork (preload only)."""
    if not server.cfg.preload_app:
        return
    _warm(server.app.wsgi(), server.log)
    gc.freeze()


_STOPS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)


def post_fork(server, worker):
    """In a new worker, before gunicorn's own signal handlers. Until gunicorn installs them, the worker
    runs the master's, copied by the fork, which only queue a signal for the master's loop: a stop sent
    then was lost, and the master waited its whole graceful timeout before killing the worker. A worker
    that serves nothing yet may simply die on a stop; one that came before this point is in the copy of
    the master's queue."""
    for sig in _STOPS:
        signal.signal(sig, signal.SIG_DFL)
    if any(sig in _STOPS for sig in getattr(server, "SIG_QUEUE", ())):
        sys.exit(0)
    if server.cfg.preload_app:
        from carte.extensions import db

        with server.app.wsgi().app_context():
            db.engine.dispose(close=False)  # the pool's state came from the master: start empty


def post_worker_init(worker):
    """Without preload, each worker loads its index (from the snapshot when there is one) before serving."""
    if not worker.cfg.preload_app:
        _warm(worker.wsgi, worker.log)
