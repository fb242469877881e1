"""Named timeouts and retry policies, one per activity family."""

from datetime import timedelta

from temporalio.common import RetryPolicy

# DB writes are idempotent upserts; a database restart should be ridden out, not surfaced.
DB_TIMEOUT = timedelta(seconds=30)
DB_WRITE = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))

# Sending is guarded by the outbox claim, so retries never duplicate; provider rejections
# (bad address, bad payload) are raised non-retryable by the activity itself.
EMAIL_TIMEOUT = timedelta(seconds=60)
# The worker heartbeats every activity that has a heartbeat timeout (activities/keepalive.py): a killed
# worker's sends are retried after this, not after EMAIL_TIMEOUT (the retry finds the claim and settles it).
EMAIL_HEARTBEAT = timedelta(seconds=15)
EMAIL_SEND = RetryPolicy(
    initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=10), maximum_attempts=20
)
