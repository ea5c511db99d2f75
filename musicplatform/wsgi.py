"""The WSGI application, as gunicorn serves it (deploy/gunicorn.conf.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musicplatform.settings.local")

application = get_wsgi_application()
