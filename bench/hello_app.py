"""The baseline: a minimal Flask app answering "hello", served like the blog."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
