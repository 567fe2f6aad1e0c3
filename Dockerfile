# syntax=docker/dockerfile:1
# One image family for the whole stack (docker-compose.yml picks a target):
#   meltano   the stateless runner: `meltano run elt` (state lives in the warehouse)
#   dbt-docs  dbt docs generate + serve on 8080
#   cockpit   the Streamlit cockpit on 8501
#   airflow   Airflow standalone (scheduler + api server) with the generated DAGs
# Plugins are installed at build time, so a container starts without network access.

FROM python:3.11.7-slim-bookworm AS base
# No .pyc written at run time, so uv compiles them at install (Meltano here, every plugin venv
# through meltano.yml's env): else each process compiles its imports from source at start.
ENV PYTHONDONTWRITEBYTECODE=1 \
    UV_COMPILE_BYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    MELTANO_SEND_ANONYMOUS_USAGE_STATS=false \
    MELTANO_ENVIRONMENT=docker
# git: editable pip_urls; postgresql-client: psql for operators; pango and a font: the PDF
# reports (WeasyPrint; REPORTS_PDF_ENGINE=chromium needs the chromium package added here).
RUN apt-get update \
    && apt-get install -y --no-install-recommends git postgresql-client libpango-1.0-0 libpangoft2-1.0-0 \
       fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /project
# The project package (meltano, psycopg for the system database in the warehouse) first:
# this layer is rebuilt only when pyproject.toml or src/ change.
COPY pyproject.toml ./
COPY src ./src
RUN pip install uv==0.13.9 && uv pip install --system -e .

FROM base AS meltano
COPY . .
# Every plugin the jobs use, in its own venv under .meltano/ (Airflow only in its target).
RUN meltano install --plugin-type extractor tap-postgres tap-csv \
    && meltano install --plugin-type loader target-postgres \
    && meltano install --plugin-type utility dbt reports cockpit
# Every target starts through deploy/docker/entrypoint.sh: no start with a password nobody chose.
ENTRYPOINT ["/project/deploy/docker/entrypoint.sh", "meltano"]
CMD ["run", "elt"]

FROM meltano AS dbt-docs
EXPOSE 8080
ENTRYPOINT ["/project/deploy/docker/entrypoint.sh", "/bin/sh", "-c"]
# 0.0.0.0 in the container only: docker-compose.yml publishes it on the host's 127.0.0.1.
CMD ["meltano invoke dbt docs generate && exec meltano invoke dbt docs serve --host 0.0.0.0 --port 8080 --no-browser"]

# Listens on 0.0.0.0 in the container, so it asks for a login unless COCKPIT_PUBLISHED_ADDRESS
# says the host publishes it on 127.0.0.1 (docker-compose.yml does, by default).
FROM meltano AS cockpit
ENV COCKPIT_ADDRESS=0.0.0.0 COCKPIT_PORT=8501
EXPOSE 8501
CMD ["invoke", "cockpit"]

FROM meltano AS airflow
RUN meltano install --plugin-type utility airflow
EXPOSE 8080
# standalone = db migrate + scheduler + dag processor + triggerer + api server (one container).
CMD ["invoke", "airflow", "standalone"]
