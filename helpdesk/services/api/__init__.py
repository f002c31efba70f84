"""What the REST API needs beyond the services the pages use: safe retries of creates."""
