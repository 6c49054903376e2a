-- Working calendars (docs/RULES.md §4.3): the spec as JSON text, versioned. The
-- province's `default` calendar always exists (Monday–Friday,
-- 07:00–11:30 and 13:30–17:00, cut-off 15:00, no holidays until an admin
-- or the demo data adds them).
CREATE TABLE calendars (
    id TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT
);
INSERT INTO calendars (id, spec, version, updated_at, updated_by) VALUES (
    'default',
    '{"working_weekdays":[1,2,3,4,5],"office_hours":[{"start":"07:00","end":"11:30"},{"start":"13:30","end":"17:00"}],"same_day_cutoff":"15:00","holidays":[],"swapped_working_days":[]}',
    1,
    CURRENT_TIMESTAMP,
    NULL
);
