"""The web console: the agent desk (FastAPI), served on 127.0.0.1:8000 by `make run`."""
