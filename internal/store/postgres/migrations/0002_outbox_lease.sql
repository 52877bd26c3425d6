-- Outbox leases: each claim increments lease, and completing or retrying an
-- item requires the lease of the claim, so that a worker whose lease ran out
-- cannot overwrite the result of the worker that claimed the item next.
ALTER TABLE outbox ADD COLUMN lease bigint NOT NULL DEFAULT 0;
