# The production image: gunicorn serves the app (static files through WhiteNoise), and the
# same image runs Celery's worker and beat (see docker-compose.yml).

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

# collectstatic writes to .data/staticfiles at start-up; uploads go to the /data volume.
RUN useradd --create-home --uid 1000 app \
    && mkdir -p /app/.data /data \
    && chown app:app /app/.data /data
USER app

EXPOSE 8000
CMD ["gunicorn", "musicplatform.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
