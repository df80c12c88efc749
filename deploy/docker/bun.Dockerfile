# mgr serving an app on Bun. Build from the app's directory (its package.json depends on mgr):
#   docker build -f bun.Dockerfile -t myapp .
FROM oven/bun:1-debian

# tini is PID 1: it reaps processes the app starts and then leaves orphaned, and hands TERM to mgr.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json bun.lock* ./
RUN bun install --production
COPY . .

# Never root: the app and its workers run as this user; 8000 needs no privilege.
RUN useradd --system --uid 10001 --home-dir /app app
USER app

EXPOSE 8000 9090
# The ENTRYPOINT runs mgr on this image's runtime; CMD (or a Kubernetes manifest's args) holds only
# mgr's arguments, so the same args serve on the Node, Bun and Deno images.
ENTRYPOINT ["/usr/bin/tini", "--", "bun", "node_modules/mgr/dist/src/cli/bin.js"]
# The admin endpoint (health checks, metrics) on 9090 wants a token off loopback: pass
# MGR_ADMIN_TOKEN at run time (docker run -e, a Kubernetes secret).
CMD ["app.ts", "-b", "0.0.0.0:8000", "--admin-bind", "0.0.0.0:9090", "--graceful-timeout", "30"]
