-- PostgreSQL partitions the history by month; SQLite, the embedded
-- database of a small deployment, keeps one table. Kept so that both
-- databases have the same migrations.
SELECT 1;
