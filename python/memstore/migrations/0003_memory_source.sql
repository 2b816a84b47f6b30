-- Additive: releases that predate it keep working (the column has a default).
ALTER TABLE memories ADD COLUMN source text NOT NULL DEFAULT 'api';

CREATE INDEX memories_tenant_scope_id_idx ON memories (tenant, scope, id);
