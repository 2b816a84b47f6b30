-- Memories and the transactional outbox: a write inserts both in one transaction, and the
-- worker turns outbox events into derived state.
CREATE TABLE memories (
    id          bigserial PRIMARY KEY,
    tenant      text        NOT NULL,
    scope       text        NOT NULL,
    text        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE outbox (
    id               bigserial PRIMARY KEY,
    -- No foreign key: an event may outlive or precede its memory, and the worker must be able
    -- to dead-letter events that point nowhere instead of the database refusing them.
    memory_id        bigint,
    tenant           text,
    event_type       text        NOT NULL,
    payload          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    status           text        NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'done', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    last_error       text,
    next_attempt_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    processed_at     timestamptz
);

-- Partial indexes keep the worker's claim query and the backlog gauges cheap however large
-- the history of done events grows.
CREATE INDEX outbox_pending_idx ON outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_failed_idx ON outbox (id) WHERE status = 'failed';
