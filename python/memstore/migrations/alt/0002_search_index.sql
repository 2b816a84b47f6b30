-- The derived index the worker builds; search reads only from here.
CREATE TABLE search_index (
    memory_key  text        PRIMARY KEY REFERENCES memories (key) ON DELETE CASCADE,
    scope       text        NOT NULL,
    tokens      text[]      NOT NULL,
    indexed_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX search_index_scope_idx ON search_index (scope);
CREATE INDEX search_index_tokens_idx ON search_index USING gin (tokens);
