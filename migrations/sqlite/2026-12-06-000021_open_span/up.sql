-- PostgreSQL gains an index over the span each dossier was open; SQLite
-- keeps its two b-tree ranges (it has no range index). Kept so that both
-- databases have the same migrations.
SELECT 1;
