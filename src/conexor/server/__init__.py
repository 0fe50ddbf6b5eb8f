"""The HTTP server: ASGI app wiring, REST API, authentication, engine pool, cloud-mode backends."""
