"""A project's files: configuration, rule selection, discovery, the result cache, parallel runs, atomic writes."""
