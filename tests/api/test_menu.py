"""The site menu links the API keys page for those who manage keys (a school's director, an area
office's officers), in the reader's language, and not for anyone else."""

import pytest
from django.urls import reverse

from accounts.models import Membership
from accounts.permissions import sync_user_permissions

pytestmark = pytest.mark.django_db


def menu_of(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("home"), headers={"Accept-Language": "th"})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("persona", ["director", "area_officer"])
def test_key_managers_see_the_api_keys_link(client, persona, request):
    body = menu_of(client, request.getfixturevalue(persona))
    assert f'href="{reverse("api_keys")}"' in body
    assert "คีย์ API" in body


@pytest.mark.parametrize(
    "persona", ["staff", "other_school_staff", "id_approver", "ministry_admin"]
)
def test_others_do_not_see_it(client, persona, request):
    body = menu_of(client, request.getfixturevalue(persona))
    assert reverse("api_keys") not in body


def test_a_director_whose_role_ended_loses_the_link(client, director):
    Membership.objects.filter(user=director).delete()
    sync_user_permissions(director)
    assert reverse("api_keys") not in menu_of(client, director)
