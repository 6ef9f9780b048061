"""Sending: the dispatcher (batches, ledger, retries, resume) and one module per transport."""
