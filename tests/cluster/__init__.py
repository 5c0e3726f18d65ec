"""The cluster's pieces as real processes: Valkey, HAProxy, app nodes and the launcher."""
