"""One screen per mode: servers, catalog, sync, sites, logs, connections."""
