FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir .
ENV COORD_HOST=0.0.0.0 COORD_PORT=8080 COORD_DATABASE_PATH=/data/coordination.db
VOLUME /data
EXPOSE 8080
HEALTHCHECK CMD python -c "import urllib.request,sys;sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/readyz').status!=200)"
CMD ["coord-api"]
