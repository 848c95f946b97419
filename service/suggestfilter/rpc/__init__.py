"""gRPC plumbing shared by the servers and the clients of both APIs.

The one table from exceptions to gRPC statuses (and back), the request limits
of the public API, and the pieces every server shares (reflection, port
binding). Most users can ignore this package.
"""
