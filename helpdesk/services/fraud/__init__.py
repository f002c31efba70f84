"""FRAUD-STOP: the blocklists of addresses and cards, and the flags they raise on cases."""
