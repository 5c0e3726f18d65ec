"""Several app nodes as one tracker: leases, prices and interest shared through Valkey/Redis."""
