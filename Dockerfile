# sightline in a container: `docker build -t sightline .`, then `docker run sightline serve --host 0.0.0.0 …`
# or `… worker --redis …` (deploy/ has a docker-compose.yml and Kubernetes manifests).
# Not built on our CI (no Docker there): see deploy/README.md.

FROM node:22-slim AS build
WORKDIR /app
# .npmrc keeps dependencies' install scripts off: onnxruntime-node's would download CUDA binaries;
# the CPU build ships inside the npm package (docs/reference/models.md#gpu-nvidia-linux-x64).
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY examples ./examples
RUN npm run build && npm prune --omit=dev

FROM node:22-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends ffmpeg \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/examples ./examples
# Models are downloaded here on first use (or by `sightline models pull`): mount a volume to keep them.
ENV SIGHTLINE_CACHE_DIR=/models
RUN mkdir -p /models && chown node:node /models
VOLUME /models
USER node
EXPOSE 9001
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["serve", "--host", "0.0.0.0", "--port", "9001"]
