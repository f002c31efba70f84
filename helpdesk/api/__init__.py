"""The REST API (`/api/v1`): JSON for other systems, authenticated by personal access tokens."""
