"""What every surface shares: auth, errors, conditional GET, URLs, security headers, i18n,
templating. Edges import from here; nothing here knows an edge but by endpoint name."""

from . import auth, conditional, errors, hitpath, i18n, security, templating, urls
from .errors import Problem, problem
from .urls import absolute_url

__all__ = [
    "Problem",
    "absolute_url",
    "auth",
    "conditional",
    "errors",
    "hitpath",
    "i18n",
    "problem",
    "security",
    "templating",
    "urls",
]
