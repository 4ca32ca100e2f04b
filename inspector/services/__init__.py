"""Service functions: named reads and writes on the database, called by views and the CLI."""
