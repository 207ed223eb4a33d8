"""An e-mail backend for tests across processes: one file per message in a directory.

A Celery worker process sends through it and the test counts the files afterwards, so the
count survives the worker being killed. ``CXGOV_TEST_MAIL_DIR`` names the directory; each
opened connection appends a line to ``connections.log`` there. With
``CXGOV_TEST_MAIL_BLOCK_AFTER=N`` the process, about to send its (N+1)-th message, pushes
``blocked`` to the Redis list ``CXGOV_TEST_MAIL_SIGNAL`` and waits (it is meant to be killed
there, mid-batch).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import redis
from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

_sent_in_process = 0


class DirectoryBackend(BaseEmailBackend):
    def open(self):
        with open(self._directory() / "connections.log", "a") as log:
            log.write(f"{os.getpid()}\n")
        return True

    def close(self):
        pass

    def _directory(self) -> Path:
        directory = Path(os.environ["CXGOV_TEST_MAIL_DIR"])
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def _maybe_block(self) -> None:
        limit = os.environ.get("CXGOV_TEST_MAIL_BLOCK_AFTER")
        if limit is None or _sent_in_process < int(limit):
            return
        client = redis.Redis.from_url(settings.REDIS_URL)
        client.rpush(os.environ["CXGOV_TEST_MAIL_SIGNAL"], "blocked")
        client.blpop([os.environ["CXGOV_TEST_MAIL_SIGNAL"] + ":never"], timeout=600)
        raise RuntimeError("the test was expected to kill this worker while it waited")

    def send_messages(self, messages):
        global _sent_in_process
        directory = self._directory()
        for message in messages:
            self._maybe_block()
            name = f"{uuid.uuid4().hex}__{message.to[0]}.eml"
            (directory / name).write_bytes(message.message().as_bytes())
            _sent_in_process += 1
        return len(messages)
