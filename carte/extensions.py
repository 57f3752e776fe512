"""Flask extensions, created unbound and attached in create_app."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# Staff log in (accounts); every HTML form carries a CSRF token.
login_manager = LoginManager()
csrf = CSRFProtect()
