"""Mail: the outbox and its sender, inbound mail, and the system e-mails people get."""
