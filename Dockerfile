# Confero SFU image (Node 22, Debian bookworm). With internet, setup uses mediasoup's prebuilt worker;
# without it, setup builds the worker from the npm package's sources against Debian packages.
FROM node:22-bookworm-slim
WORKDIR /app
# Dependencies first (cached layer): the worker and node_modules only depend on these files.
COPY package.json package-lock.json ./
COPY scripts ./scripts
# --turn: Debian's coturn too, for the compose file's `turn` service (same image, other command).
RUN node scripts/setup.mjs --turn
COPY . .
# Second pass: builds the browser client from the sources now present (everything else is in place).
RUN node scripts/setup.mjs
ENV HTTP_HOST=0.0.0.0 RTC_LISTEN_IP=0.0.0.0
EXPOSE 3000
CMD ["node", "--import", "tsx", "server/src/main.ts"]
