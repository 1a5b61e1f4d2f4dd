"""The integration API v1 (api.md), one module per resource. Each view parses, finds the object
in the client's scope (`for_actor`, so anything outside it is a 404 exactly like a missing one)
and calls the same service the admin and the portal call. What an answer loads is in `loaders`;
the OpenAPI tables every endpoint shares are in `integrations.api.schema`."""
