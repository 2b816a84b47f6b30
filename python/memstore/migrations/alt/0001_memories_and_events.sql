-- The alt shape (memstore.shapes): text keys, tenancy by scope prefix ('<tenant>/...', no tenant
-- column), and an outbox whose state is two timestamps instead of a status column.
CREATE TABLE memories (
    key         text        PRIMARY KEY,              -- 'mem_' || 16 hex digits, made by the API
    scope       text        NOT NULL CHECK (position('/' in scope) > 1),
    content     text        NOT NULL,
    origin      text        NOT NULL DEFAULT 'api',
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX memories_scope_created_idx ON memories (scope, created_at);

CREATE TABLE events (
    id               bigserial   PRIMARY KEY,
    -- No foreign key, as in the classic outbox: a poison event must be storable and dead-lettered.
    memory_key       text,
    kind             text        NOT NULL,
    payload          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    attempts         integer     NOT NULL DEFAULT 0,
    last_error       text,
    next_attempt_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- Unpublished: both NULL. Processed: published_at. Dead-lettered: failed_at.
    published_at     timestamptz,
    failed_at        timestamptz,
    CHECK (published_at IS NULL OR failed_at IS NULL)
);

CREATE INDEX events_unpublished_idx ON events (next_attempt_at, id) WHERE published_at IS NULL AND failed_at IS NULL;
CREATE INDEX events_failed_idx ON events (id) WHERE failed_at IS NOT NULL;
CREATE INDEX events_memory_key_idx ON events (memory_key);
