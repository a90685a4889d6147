/* placeholder: lib/ingest public header, being written */
