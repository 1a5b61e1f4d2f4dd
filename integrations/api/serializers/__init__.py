"""What the API reads and writes (api.md), one module per resource. Plain serializers: they
parse; the services decide. Money is a string with 2 decimals, times ISO 8601 with their offset."""
