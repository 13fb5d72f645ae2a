"""What every surface shares: auth, errors, conditional GET, URLs, security headers, i18n,
templating, the operator's session (signin). Edges import from here; nothing here knows an
edge but by endpoint name."""

from . import auth, conditional, errors, i18n, security, signin, templating, urls
from .errors import Problem, problem
from .urls import absolute_url

__all__ = [
    "Problem",
    "absolute_url",
    "auth",
    "conditional",
    "errors",
    "i18n",
    "problem",
    "security",
    "signin",
    "templating",
    "urls",
]
