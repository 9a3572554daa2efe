#!/usr/bin/env bash
# MLflow tracking server backed by PostgreSQL, artifacts on local disk (or an object store URI).
set -euo pipefail
createdb -h 127.0.0.1 -U postgres mlflow 2>/dev/null || true
exec uv run mlflow server \
  --backend-store-uri postgresql://postgres@127.0.0.1:5432/mlflow \
  --artifacts-destination "${MLFLOW_ARTIFACTS:-$PWD/var/mlartifacts}" \
  --host 127.0.0.1 --port 5000
