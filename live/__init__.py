"""Live events' chat as server-sent events (issue 26, item 5); docs/scaling.md, "Live events".

`publish` renders a committed message once and publishes its frame on one Redis channel;
`asgi` is the ASGI application (uvicorn, beside gunicorn, behind the proxy under /live/)
whose `hub` holds one pub/sub subscription per process and fans each frame out to the
process's connections.
"""
