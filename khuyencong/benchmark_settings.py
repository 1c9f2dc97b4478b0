"""The production settings with one addition, for `manage.py benchmark` only: the benchmark's
URL configuration, which adds the floor view (khuyencong/benchmark_urls.py). Everything else —
DEBUG, the database, connections kept, middleware, static files — comes from the environment
exactly as in production."""

from khuyencong.settings import *  # noqa: F403

ROOT_URLCONF = "khuyencong.benchmark_urls"
