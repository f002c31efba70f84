"""helpdesk: a self-hosted support portal. `create_app` builds the Flask application."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from helpdesk import clock, logging_setup
from helpdesk import config as settings
from helpdesk.extensions import csrf, db, limiter, login_manager, migrate


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then environment variables, then `config` (tests)."""
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    app.config.from_object(settings.Config)
    app.config.update(settings.from_environment(os.environ))
    if config:
        app.config.update(config)
    settings.finalise(app.config, app.instance_path)
    logging_setup.configure(app)  # first: the request id exists before any other hook logs
    settings.warn_if_limits_per_process(app.config, os.environ, sys.argv, app.logger)
    from helpdesk.web.params import DatabaseIntConverter

    app.url_map.converters["int"] = DatabaseIntConverter  # before any route is added

    _init_extensions(app)
    _register_blueprints(app)

    from helpdesk.web import errors, filters, security

    errors.register(app)
    filters.register(app)
    security.register(app)

    from helpdesk import cli

    cli.register(app)

    if app.config["PROXY_COUNT"]:
        # Trust X-Forwarded-* only from the configured number of proxies in front of us.
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    return app


def _init_extensions(app: Flask) -> None:
    from helpdesk import models  # noqa: F401  (registers every table on the metadata)

    # Their session listeners keep the search index and the live polls' change stamp current,
    # and write the webhook deliveries of each change in its own transaction.
    from helpdesk.services.tracker import change_stamp, search  # noqa: F401
    from helpdesk.services.webhooks import events  # noqa: F401

    clock.init_app(app)
    db.init_app(app)
    migrate.init_app(
        app, db, directory=os.path.normpath(os.path.join(app.root_path, "..", "migrations"))
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from helpdesk.services.accounts.accounts import load_session_user

    login_manager.user_loader(load_session_user)

    from helpdesk import i18n

    i18n.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from helpdesk.admin.views import bp as admin_bp
    from helpdesk.auth.views import bp as auth_bp
    from helpdesk.billing.views import bp as billing_bp
    from helpdesk.feedback.views import bp as feedback_bp
    from helpdesk.helpcentre.views import bp as helpcentre_bp
    from helpdesk.notifications.views import bp as notifications_bp
    from helpdesk.portal.views import bp as portal_bp
    from helpdesk.reports.views import bp as reports_bp
    from helpdesk.system.views import bp as system_bp
    from helpdesk.tracker.views import bp as tracker_bp
    from helpdesk.web.health import bp as health_bp
    from helpdesk.web.home import index

    app.add_url_rule("/", "index", index)
    app.register_blueprint(health_bp)
    app.register_blueprint(notifications_bp, url_prefix="/notifications")
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(portal_bp)
    app.register_blueprint(tracker_bp, url_prefix="/tracker")
    app.register_blueprint(billing_bp, url_prefix="/billing")
    app.register_blueprint(system_bp, url_prefix="/system")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(helpcentre_bp, url_prefix="/help")
    app.register_blueprint(feedback_bp, url_prefix="/feedback")

    from helpdesk.api import blueprint as api

    api.register(app)
