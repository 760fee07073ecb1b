"""Settings of a minimal Django site with Google Analytics and consentkit.

No database: sessions are signed cookies, so the site runs with no migration.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

#: Public, for the demo only: set the environment variables anywhere else.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "django-insecure-demo-only")
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS: list[str] = []

# Django runs these top to bottom on the request, bottom to top on the response.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # GZip first: it compresses last, after consentkit has rewritten the HTML.
    "django.middleware.gzip.GZipMiddleware",
    "consentkit.integrations.django.ConsentMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]

ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "consentkit.integrations.django.context_processor",
            ],
            # {% load consentkit %} for the allows_vendor / allows_purpose filters.
            "libraries": {"consentkit": "consentkit.integrations.django"},
        },
    }
]

CONSENTKIT = {
    "catalogue": BASE_DIR.parent / "plus-que-pro" / "catalogue.toml",
    "secret_keys": [
        os.environ.get("CONSENTKIT_SECRET_KEY", "demo-only-key-never-use-in-production")
    ],
    # Served on http://127.0.0.1: a Secure consent cookie would never come back.
    "cookie_secure": os.environ.get("CONSENTKIT_COOKIE_SECURE", "0") == "1",
}
