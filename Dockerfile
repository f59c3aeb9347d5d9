# The docsvc service image: no development dependencies, runs as an unprivileged user.
# Build context: the repository root (`docker compose build`, or `docker build .`).

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/docsvc
WORKDIR /src
COPY pyproject.toml README.md ./
COPY docsvc ./docsvc
COPY signing ./signing
COPY storage ./storage
COPY archive ./archive
RUN /opt/docsvc/bin/pip install .

FROM python:3.11-slim
ENV PATH=/opt/docsvc/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DOCSVC_ENV=production \
    DOCSVC_DATA_DIR=/var/lib/docsvc
# A fixed uid, so that the data volume keeps its owner across rebuilds.
RUN groupadd --system --gid 10001 docsvc \
    && useradd --system --uid 10001 --gid docsvc --home-dir /var/lib/docsvc --create-home \
        --shell /usr/sbin/nologin docsvc
COPY --from=build /opt/docsvc /opt/docsvc
COPY deploy/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 0755 /usr/local/bin/docker-entrypoint.sh
USER docsvc
WORKDIR /var/lib/docsvc
EXPOSE 8000
ENTRYPOINT ["docker-entrypoint.sh"]
