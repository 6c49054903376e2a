//! Working calendars and the deadline engine (SPEC §4.3): being written.
