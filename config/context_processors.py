from django.utils.functional import SimpleLazyObject

from accounts import permissions


def navigation(request):
    """Say which menu entries the user may use; computed only when a template asks."""

    def can_see_reports():
        return permissions.can_see_reports(request.user) if request.user.is_authenticated else False

    def can_manage_people():
        return (
            permissions.can_manage_people(request.user) if request.user.is_authenticated else False
        )

    def can_import_school_list():
        return (
            permissions.can_import_school_list(request.user)
            if request.user.is_authenticated
            else False
        )

    def manages_api_keys():
        return (
            permissions.manages_api_keys(request.user) if request.user.is_authenticated else False
        )

    return {
        "nav_reports": SimpleLazyObject(
            lambda: {"reports": can_see_reports(), "people": can_manage_people()}
        ),
        "nav_register": SimpleLazyObject(lambda: {"school_list": can_import_school_list()}),
        "nav_api": SimpleLazyObject(lambda: {"keys": manages_api_keys()}),
    }
