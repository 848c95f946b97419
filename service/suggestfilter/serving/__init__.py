"""The public API: its servicer, its server, the serving state it decides
with, and its Prometheus metrics.
"""
