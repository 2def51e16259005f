"""Run the test OpenID provider: `python -m tests.oidc_provider <port>` (environment: see settings).

Migrates its own SQLite database, registers the OpenDMC client and the accounts, prints
"ready" and serves on 127.0.0.1 until it is terminated.
"""

import json
import os
import sys


def main() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.servers.basehttp import WSGIServer, run
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    client = json.loads((settings.STATE / "client.json").read_text())
    Application.objects.create(
        name="OpenDMC",
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(client["redirect_uris"]),
        post_logout_redirect_uris=" ".join(client.get("post_logout_redirect_uris", [])),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    User = get_user_model()
    for username, account in settings.ACCOUNTS.items():
        User.objects.create_user(username=username, password=account["password"])
    port = int(sys.argv[1])
    print("ready", flush=True)
    run("127.0.0.1", port, get_wsgi_application(), threading=True, server_cls=WSGIServer)


if __name__ == "__main__":
    main()
