"""The WSGI application gunicorn serves.

Once Django, the URL configuration and every view module are loaded, the objects they made are
moved out of the garbage collector's sight (``gc.freeze``): they live as long as the process,
and without this every full collection walks all of them again. A 1,000-item ingest request
allocates enough to set off several such collections; measured in-process, the collector took
8–12 ms of such a request before and about 2 ms after (``bench/README.md``).
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxgov.settings.dev")

application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 - imports every view module now, before the freeze
gc.freeze()
