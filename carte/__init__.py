"""Carte: a participatory civic map for the Métropole du Grand Paris."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session

from carte.extensions import babel, db, limiter, migrate
from carte.startup import check_config, rate_limit_storage, trust_proxies
from carte.storage.engine import configure_engine, engine_config
from carte.web.access import init_auth
from carte.web.request_log import init_request_log


def select_locale() -> str:
    languages = current_app.config["CARTE_LANGUAGES"]
    if not has_request_context():  # command-line tools speak the default language
        return languages[0]
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def create_app(config: str | object = "config.Config", overrides: dict | None = None) -> Flask:
    # No automatic static route: carte.web.serving adds versioned ones.
    app = Flask(__name__, instance_relative_config=False, static_folder=None)
    app.config.from_object(config)
    if overrides:
        app.config.update(overrides)
    init_request_log(app)
    check_config(app)
    trust_proxies(app)
    rate_limit_storage(app)
    url, options = engine_config(app.config["SQLALCHEMY_DATABASE_URI"], app.config)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}

    db.init_app(app)
    migrate.init_app(app, db)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    init_auth(app)
    with app.app_context():
        configure_engine(db.engine, app.config)

    from carte.cli import carte_cli
    from carte.services import install_services
    from carte.web import register_blueprints
    from carte.web.errors import register_error_handlers
    from carte.web.security import init_security_headers
    from carte.web.serving import init_serving

    init_serving(app)
    register_blueprints(app)
    install_services(app)
    register_error_handlers(app)
    init_security_headers(app)
    app.cli.add_command(carte_cli)
    return app
