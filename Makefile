# The two commands a newcomer needs: `make demo` and `make test`. Everything installs itself with uv.
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
export CUSTOMS_RISK_HOME ?= $(CURDIR)/var

.PHONY: setup demo test test-all bench bench-dbt bench-score bench-day docs manifest airflow scaleout clean

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --compile-bytecode  # .pyc at install: with PYTHONDONTWRITEBYTECODE set, every task process would recompile its imports

demo: setup
	$(UV) run customs-risk demo

# Two pytest workers (pytest-xdist), a test file each at a time: much of the suite waits on schedulers,
# task processes and browsers, so two files overlap on two cores. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: setup
	$(UV) run pytest -n $(TEST_WORKERS) --dist loadfile

test-all: setup
	$(UV) run pytest -n $(TEST_WORKERS) --dist loadfile -m "slow or not slow"

# Stage timings on 200k-shipment days, then ingest of one full Korean day (both into bench/results.json).
bench: setup
	$(UV) run python -m bench.run
	$(UV) run python -m bench.ingest_bench

bench-score: setup ; $(UV) run python -m bench.score_bench  # one full Korean day scored per lane vs the bare predict floor
# Incremental dbt build of a full day on 90 days of full-scale history (~30 min: building the history
# dominates), then training each lane on that history.
bench-dbt: setup
	$(UV) run python -m bench.dbt_bench --history-cache var/bench/cache
	$(UV) run python -m bench.train_bench

# Airflow on the project home (UI on :8080, user admin, password in var/airflow/admin_password.json).
airflow: setup ; $(UV) run customs-risk airflow
# The same on Celery + Redis with PostgreSQL metadata and warehouse and an MLflow server (infra/scaleout.env).
scaleout: setup ; $(UV) run customs-risk airflow --celery

# One day landed on a history, run under the scheduler (landing watcher -> ingest -> transform -> train ->
# score); per stage seconds, rows/s and peak memory into bench/results.json "day.scale_<S>", with the growth
# against scale 1. SCALE=1 is a full Korean day (the default, ~10 min), SCALE=5 a US-sized day (~20 min).
bench-day: setup
	$(UV) run python -m bench.day_bench --scale $(or $(SCALE),1.0)

docs: setup
	$(UV) run customs-risk docs

# Regenerate the dbt manifest the transform DAG is rendered from (a test fails when it is stale).
manifest: setup
	$(UV) run python -m transform.dbt_build manifest

clean:
	rm -rf var
