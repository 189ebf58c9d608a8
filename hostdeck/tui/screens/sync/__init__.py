"""The Sync screen: the client sync map (Clients tab) and the billing tabs (services, drift, panel)."""
