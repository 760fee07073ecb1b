from __future__ import annotations

from django.urls import path

from mysite import views

urlpatterns = [
    path("", views.home),
    path("mon-compte", views.account),
    path("whoami", views.whoami),
    path("flux", views.stream),
]
