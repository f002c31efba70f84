"""The ceiling: a bare Flask view under the same gunicorn settings as the app.

Its body is 32 bytes, as in the anchor measurement the app's pages are compared with."""

from flask import Flask

BODY = "Hello from a bare Flask view...\n"
assert len(BODY.encode()) == 32

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return BODY
