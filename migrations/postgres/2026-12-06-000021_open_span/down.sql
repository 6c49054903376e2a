DROP INDEX dossiers_open_span;
