"""The admin's forms (Flask-WTF: each carries its CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length


class SignInForm(FlaskForm):
    """E-mail address and password."""

    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired()])
