"""The customer view: one search from an IP, a domain, an e-mail or a name to everything a client has.

- `terms`: what a search term is, and how a query is normalised;
- `sources`: what the index is built from (WHMCS's lists, the stored inventory, the sync map, the site jobs);
- `index`: building the index and writing it to the store;
- `query`: the ranked search, per keystroke;
- `join`: one match's client, services, servers, invoices, tickets, panel users, sites and events;
- `live`: the same, refreshed from the APIs.
"""
