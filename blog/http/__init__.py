"""What every surface shares: auth, errors, conditional GET, URLs, security headers, i18n,
templating, the operator's session (signin). Edges import from here; nothing here knows an
edge but by endpoint name."""

from . import (
    auth,
    botauth,
    conditional,
    errors,
    hitpath,
    i18n,
    proxy,
    security,
    signin,
    templating,
    urls,
    usage,
)
from .errors import Problem, problem
from .urls import absolute_url

__all__ = [
    "Problem",
    "absolute_url",
    "auth",
    "botauth",
    "conditional",
    "errors",
    "hitpath",
    "i18n",
    "problem",
    "proxy",
    "security",
    "signin",
    "templating",
    "urls",
    "usage",
]
