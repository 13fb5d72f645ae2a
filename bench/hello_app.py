"""The baseline: a minimal Flask app answering "hello", served like the blog."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"


def bare(environ: dict, start_response) -> list[bytes]:  # noqa: ANN001
    """The floor: a WSGI callable with no framework at all."""
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]
