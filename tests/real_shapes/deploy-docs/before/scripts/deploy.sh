#!/usr/bin/env bash
# Pull the released images and restart the stack on the server.
set -euo pipefail
cd "$(dirname "$0")/.."
docker compose -f docker-compose.server.yml pull
docker compose -f docker-compose.server.yml up -d --remove-orphans
