"""Settings, the audit trail, sequence numbers and the periodic jobs every area relies on."""
