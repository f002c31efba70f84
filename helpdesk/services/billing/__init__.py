"""The payment manager: orders, recurring payments and service plans, refunds and shipments."""
