# Porta on Node 24. Build: docker build -t porta .   Run: see the README's Docker section.

# --- build: compile TypeScript and the native modules, then drop dev dependencies ---
FROM node:24-bookworm-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary fits.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY config ./config
COPY db ./db
COPY interactions ./interactions
COPY src ./src
# npm ci builds dist/ through the `prepare` script. better-sqlite3 13.x replaces the lockfile's 12.x
# (which the Node 20 development machines need): 12.x aborts on Node 24 at shutdown, 13.x needs Node >= 22.
# Prune first: `npm prune` reifies the lockfile and would put 12.x back. Keep the version in step with
# .ci/run, which tests this combination and replays this RUN line to check the resulting tree.
RUN npm ci \
    && npm prune --omit=dev \
    && npm install --no-save --omit=dev --no-audit --no-fund better-sqlite3@13.2.0

# --- runtime: only what the server and the CLI read ---
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# glibc gives every thread that allocates its own malloc arena and keeps what it freed there; libuv's
# threads allocate argon2id's 19 MiB per sign-in, so without a cap RSS grows by ~90 MB (bench/RESULTS.md).
ENV MALLOC_ARENA_MAX=2
# package.json marks the root (src/paths.ts) and makes dist/ ES modules; the server reads
# config/clients.json (the default CLIENTS_FILE) and interactions/static/ (stylesheet, favicon) at run time.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/config/clients.json ./config/clients.json
COPY --from=build /app/interactions/static ./interactions/static
# The database (and development mail) live in var/, the only place the node user may write.
RUN mkdir -p var && chown node:node var
USER node
VOLUME /app/var
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/src/main.js"]
