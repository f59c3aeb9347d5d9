FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN useradd --system --create-home --home-dir /var/lib/docsvc docsvc
WORKDIR /opt/docsvc
COPY pyproject.toml README.md ./
COPY docsvc ./docsvc
COPY signing ./signing
COPY storage ./storage
COPY archive ./archive
RUN pip install .
COPY deploy/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
USER docsvc
EXPOSE 8000
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
