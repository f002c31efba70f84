"""Webhooks: endpoints administrators register, the deliveries each change writes, and
the sender that POSTs them, signed, with retries."""
