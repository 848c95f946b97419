"""The admin API of the safety team: list operations over a store, their
proto conversion, the servicer, the server, its client, and token auth.
"""
