-- The generation of what servers cache (the agency tree, the working
-- calendars): every change to an agency or a calendar raises it in its own
-- transaction, and a server reads a cached value again when it has moved
-- (docs/SCALING.md, "What a server keeps").
CREATE TABLE cache_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO cache_generation (id, generation) VALUES (1, 0);
