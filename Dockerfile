# The production image: gunicorn serves the app on a unix socket behind the proxy, and the
# same image runs Celery's worker and beat (see docker-compose.yml, deploy/topology.yml).

# htmx comes from the npm registry (package.json); only the installed package is kept.
FROM node:20-slim AS frontend
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=musicplatform.settings.production
WORKDIR /app

# Requirements first, so that a code change does not reinstall every package.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
# The same path as in development: settings serve node_modules/htmx.org/dist as static files.
COPY --from=frontend /app/node_modules/htmx.org /app/node_modules/htmx.org

# The volumes of docker-compose.yml are mounted on these: a new volume takes the owner of the
# directory it covers, so the app can write static files, uploads, backups and its socket.
RUN useradd --create-home --uid 1000 app \
    && mkdir -p /app/.data /data/static /data/media /data/private /data/backups /run/gunicorn \
    && chown -R app:app /app/.data /data /run/gunicorn
USER app

# How it runs (workers, preloading, the garbage collector) is deploy/gunicorn.conf.py's.
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "--bind", "unix:/run/gunicorn/gunicorn.sock"]
