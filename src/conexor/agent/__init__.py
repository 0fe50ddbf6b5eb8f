"""On-premise agent: holds the connection string inside the customer's network.

It connects out to the server, receives only typed, versioned, read-only jobs
for its own database, validates each with the same sandbox as cloud mode, and
returns schema metadata and the rows that were asked for — nothing else.
"""
