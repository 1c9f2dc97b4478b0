"""gunicorn settings of the portal: `gunicorn -c gunicorn.conf.py khuyencong.wsgi`.

Read from the environment (the same file as the portal's, deploy/khuyencong.env.example):
GUNICORN_BIND (127.0.0.1:8000; nginx proxies to it), GUNICORN_WORKERS (2 × cores + 1),
GUNICORN_TIMEOUT (seconds a request may take: 60; the largest .xlsx export takes ~5 s),
GUNICORN_MAX_REQUESTS (a worker is replaced after this many requests: 1000, ± 10 % jitter so
they do not all restart together; 0 = never) and GUNICORN_ACCESS_LOG (off: the portal writes a
JSON line with the request id per request itself; "-" for gunicorn's own access log on stderr).
"""

import multiprocessing
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from khuyencong.env import env_int, env_str  # noqa: E402 - after the path is set

wsgi_app = "khuyencong.wsgi"
bind = env_str("GUNICORN_BIND", "127.0.0.1:8000").split(",")
workers = env_int("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1)
timeout = env_int("GUNICORN_TIMEOUT", 60)
graceful_timeout = 30
keepalive = 5
max_requests = env_int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = max_requests // 10
# Uploads arrive through nginx, which buffers slow clients: sync workers are enough.
worker_class = "sync"
# nginx on the same host sets X-Forwarded-For/-Proto; trust it only from there.
forwarded_allow_ips = "127.0.0.1,::1"
accesslog = env_str("GUNICORN_ACCESS_LOG", "") or None
errorlog = "-"
capture_output = True
proc_name = "khuyencong"
# gunicorn's control socket (gunicornc): in systemd's RuntimeDirectory when there is one.
if os.environ.get("RUNTIME_DIRECTORY"):
    control_socket = os.path.join(os.environ["RUNTIME_DIRECTORY"].split(":")[0], "gunicorn.ctl")
