DROP INDEX dossiers_closed_by_status;
