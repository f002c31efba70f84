"""Data loaders that are not use cases: the demo (`flask demo-data`) and the benchmark's bulk data.

They sit outside services/ so the use cases stay what a user can do; they call the services and
models like any other client.
"""
