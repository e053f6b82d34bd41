"""The plain HTML login and logout pages (no JavaScript needed), in the visitor's language."""
from __future__ import annotations

import flask

from . import ids
from .city import app_title
from .i18n import parse_lang

TEXT = {
    "zh": {"title": "登录 · {app}", "sub": "请登录",
           "username": "用户名", "password": "密码", "submit": "登录", "logout": "退出登录",
           "logout_q": "确定要退出登录吗？", "other": "English", "other_lang": "en",
           "errors": {"invalid": "用户名或密码不正确。", "disabled": "该账号已停用，请联系系统管理员。",
                      "throttled": "尝试次数过多，请 {minutes} 分钟后再试。"}},
    "en": {"title": "Log in · {app}", "sub": "Please log in",
           "username": "User name", "password": "Password", "submit": "Log in", "logout": "Log out",
           "logout_q": "Log out now?", "other": "中文", "other_lang": "zh",
           "errors": {"invalid": "Wrong user name or password.",
                      "disabled": "This account is disabled; contact the administrator.",
                      "throttled": "Too many attempts: try again in {minutes} min."}},
}

PAGE = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ x.title.format(app=heading) }}</title>
<link rel="stylesheet" href="/assets/00_bootstrap.min.css"><link rel="stylesheet" href="/assets/app.css"></head>
<body class="login-body"><header class="app-header"><div class="container header-inner"><div class="brand">
<div class="brand-title">{{ heading }}</div></div>
<a class="lang-toggle" href="{{ url }}">{{ x.other }}</a></div></header>
<main class="container login-box">
{% if logout %}
<form method="post" action="/logout" class="card card-body">
<p>{{ x.logout_q }}</p><input type="hidden" name="csrf_token" value="{{ token }}">
<button type="submit" class="btn btn-primary" id="logout-confirm">{{ x.logout }}</button></form>
{% else %}
<form method="post" action="/login" class="card card-body" id="login-form" autocomplete="on">
<h1 class="h5">{{ x.sub }}</h1>
{% if error %}<div class="alert alert-danger" role="alert" id="login-error">{{ x.errors[error].format(minutes=minutes) }}</div>{% endif %}
<input type="hidden" name="csrf_token" value="{{ token }}"><input type="hidden" name="next" value="{{ next }}">
<label class="form-label" for="username">{{ x.username }}</label>
<input class="form-control mb-3" id="username" name="username" value="{{ username }}" required maxlength="64"
 autocomplete="username" autofocus>
<label class="form-label" for="password">{{ x.password }}</label>
<input class="form-control mb-3" id="password" name="password" type="password" required autocomplete="current-password">
<button type="submit" class="btn btn-primary" id="login-submit">{{ x.submit }}</button></form>
{% endif %}</main></body></html>"""


def language(request: flask.Request) -> str:
    return parse_lang(request.args.get("lang"), request.cookies.get(ids.LANG_COOKIE))


def _page(lang: str, **values) -> str:
    x = TEXT[lang]
    query = {"lang": x["other_lang"]}
    if values.get("next") and values["next"] != "/":
        query["next"] = values["next"]
    from urllib.parse import urlencode
    url = flask.request.path + "?" + urlencode(query)
    return flask.render_template_string(PAGE, x=x, lang=lang, url=url, heading=app_title(lang), **values)


def render(lang: str, next_path: str, token: str, error: str | None = None, username: str = "",
           minutes: int | None = None) -> str:
    """The login form; error is 'invalid', 'disabled' or 'throttled' (then how many minutes to wait)."""
    return _page(lang, next=next_path, token=token, error=error, username=username, minutes=minutes, logout=False)


def render_logout(lang: str, token: str) -> str:
    return _page(lang, next="/", token=token, error=None, username="", minutes=None, logout=True)
