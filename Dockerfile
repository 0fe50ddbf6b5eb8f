# The conexor server. Build: docker build -t conexor .
# Run:   docker run -p 8080:8080 -v /srv/conexor:/data \
#          -e CONEXOR_STORE_URL=... -e CONEXOR_REDIS_URL=... conexor
FROM python:3.11-slim

RUN useradd --system --uid 10001 --home-dir /data conexor
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir . && rm -rf /root/.cache

USER conexor
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/readyz').status != 200)"
# Core dumps off (secrets in memory); the server also sets PR_SET_DUMPABLE=0 itself.
CMD ["sh", "-c", "ulimit -c 0 && exec conexor server --data-dir /data --host 0.0.0.0 --port 8080"]
