"""A person's own account, under /accounts/ inside the site shell (its menu and look).

Sign-in and sign-out stay at /accounts/login/ and /accounts/logout/ (config/urls.py).
"""

from django.urls import path

from . import second_factor_views, views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("profile/sessions/end/", views.SessionsEndView.as_view(), name="sessions_end"),
    path(
        "profile/sessions/<uuid:public_id>/end/",
        views.SessionEndView.as_view(),
        name="session_end",
    ),
    path(
        "second-factor/",
        second_factor_views.SecondFactorVerifyView.as_view(),
        name="second_factor_verify",
    ),
    path(
        "second-factor/setup/",
        second_factor_views.SecondFactorEnrolView.as_view(),
        name="second_factor_enrol",
    ),
    path(
        "second-factor/recovery-codes/",
        second_factor_views.RecoveryCodesNewView.as_view(),
        name="recovery_codes_new",
    ),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
