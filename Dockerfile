# Pushi's container image. Build: docker build -t pushi .   Run: docs/deploy.md.
# Two stages: the build stage compiles TypeScript and better-sqlite3's native module; the image
# gets only the compiled code and the production dependencies.

FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles from source where no prebuilt binary fits.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts off for the install (prepare would build before src/ is here); the two packages that
# need theirs are rebuilt explicitly.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3 esbuild
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build-client.mjs scripts/healthcheck.mjs ./scripts/
COPY src ./src
# Dev dependencies go once the build is done; ./data becomes /data, owned by the runtime user.
RUN npm run build && npm prune --omit=dev && mkdir -p data

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
  SERVER_HOST=0.0.0.0 \
  APP_HOST=0.0.0.0 \
  PUSHI_DB=/data/pushi.db
WORKDIR /app
COPY --from=build --chown=node:node /app/data /data
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/scripts/healthcheck.mjs ./scripts/
USER node
VOLUME ["/data"]
# WebSocket (SERVER_PORT) and HTTP API (APP_PORT).
EXPOSE 9090 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["node", "scripts/healthcheck.mjs"]
# npm start's command without npm: node is PID 1 and gets SIGTERM itself (clients told 4200).
CMD ["node", "--max-semi-space-size=8", "dist/cli.js", "serve"]
