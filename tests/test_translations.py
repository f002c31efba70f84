"""The translation machinery: marked strings, dates and money follow the selected locale."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from helpdesk import create_app
from helpdesk.formatting import money, when

HERE = Path(__file__).parent
SHIPPED = HERE.parent / "helpdesk" / "translations"


@pytest.fixture
def french_app(app, tmp_path):
    """The app on the same database, in French, with the test catalogue compiled."""
    source = HERE / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
    target = tmp_path / "fr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with source.open("rb") as po, (target / "messages.mo").open("wb") as mo:
        write_mo(mo, read_po(po))
    config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY")}
    config.update(
        TESTING=True,
        CARD_HASH_KEY="test-card-hash-key",
        RATELIMIT_STORAGE_URI="memory://",
        HELPDESK_LOCALE="fr",
        BABEL_TRANSLATION_DIRECTORIES=f"translations;{tmp_path}",
    )
    return create_app(config)


def test_pages_speak_the_selected_locale(french_app):
    html = french_app.test_client().get("/auth/login").get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "<h1>Se connecter</h1>" in html
    assert "Mot de passe oublié ?" in html
    assert '<label for="email">Courriel</label>' in html  # a form label marked in Python
    assert "Heures affichées en" in html
    # A string the test catalogue leaves out falls back to English.
    assert "No account yet?" in html


def test_dates_and_money_follow_the_locale(french_app):
    with french_app.test_request_context("/"):
        assert when(datetime(2026, 12, 2, 15, 41)) == "2 déc. 2026, 08:41"
        assert money(123450).replace("\u202f", " ").replace("\xa0", " ") == "1 234,50 $US"


def test_english_is_the_default_and_ships_compiled(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="en">' in html and "<h1>Log in</h1>" in html
    catalogue = SHIPPED / "en" / "LC_MESSAGES"
    assert (catalogue / "messages.mo").is_file()
    with (SHIPPED / "messages.pot").open("rb") as template:
        marked = {message.id for message in read_po(template) if message.id}
    with (catalogue / "messages.po").open("rb") as english:
        assert marked <= {message.id for message in read_po(english) if message.id}
    assert {"Log in", "Waiting", "yesterday"} <= marked
