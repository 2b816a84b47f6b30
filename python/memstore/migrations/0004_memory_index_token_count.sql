-- Additive and targeted by no installed release by default: it exists so that a database can be
-- moved beyond an old release's supported range in rehearsals. Nullable, so rows indexed by
-- older workers stay valid.
ALTER TABLE memory_index ADD COLUMN token_count integer;
