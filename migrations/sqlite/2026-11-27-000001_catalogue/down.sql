DROP TABLE write_lock;
DROP TABLE procedure_versions;
DROP TABLE procedures;
DROP TABLE agencies;
