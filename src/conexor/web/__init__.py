"""The web dashboard's static files (plain ES modules, no build step).

Everything the page loads comes from ``static/`` through the server's own
origin; :mod:`conexor.server.dashboard` serves it under a strict CSP.
"""
