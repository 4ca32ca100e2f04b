"""Background jobs: long work (Excel exports, batch report issuing, site imports, notice PDFs)
done outside the request, on RQ over Redis (REDIS_URL) or, with no Redis configured, in a worker
thread inside the app. The `job` row is the truth (status, progress, result, error); the queue
only carries its id, so either transport runs the same code (docs/jobs.md)."""
