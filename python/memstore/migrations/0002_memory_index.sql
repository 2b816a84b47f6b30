-- The derived index the worker builds; recall reads only from here, so a memory becomes
-- recallable only once the worker has processed its event.
CREATE TABLE memory_index (
    memory_id   bigint PRIMARY KEY REFERENCES memories (id) ON DELETE CASCADE,
    tenant      text        NOT NULL,
    scope       text        NOT NULL,
    tokens      text[]      NOT NULL,
    indexed_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX memory_index_tenant_scope_idx ON memory_index (tenant, scope);
CREATE INDEX memory_index_tokens_idx ON memory_index USING gin (tokens);
