"""Reliability and security: the fault matrix, reconnection, fuzzing, secrets."""
