"""The sync engine between WHMCS and the other systems: a sync map, a sync log and stats. No UI in here."""
