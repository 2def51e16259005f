"""The provider's claims: ThaiD's `pid` (citizen ID), `amr`/`acr`, and faults the tests ask for.

Each account may carry a fault that makes the provider itself misbehave when it issues that
account's ID token, as a broken or hostile provider would:
- "key": sign with a key that is not in the published JWKS (under the published key's id);
- "audience": issue the token to another client;
- "expired": issue a token whose lifetime ended half an hour ago.
"""

import json
import time

from django.conf import settings
from django.db import transaction
from jwcrypto import jwk, jwt
from oauth2_provider.oauth2_validators import OAuth2Validator


class ThaiDLikeValidator(OAuth2Validator):
    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "pid": "pid",
        "amr": "openid",
        "acr": "openid",
    }

    def get_additional_claims(self, request):
        return dict(settings.ACCOUNTS[request.user.get_username()].get("claims", {}))

    def finalize_id_token(self, id_token, token, token_handler, request):
        claims, expiration_time = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(claims)
        if "nonce" not in id_token and request.nonce:
            id_token["nonce"] = request.nonce
        fault = settings.ACCOUNTS[request.user.get_username()].get("fault", "")
        key = request.client.jwk_key
        header = {"typ": "JWT", "alg": "RS256", "kid": key.thumbprint()}
        if fault == "audience":
            id_token["aud"] = "another-service"
        elif fault == "expired":
            now = int(time.time())
            id_token["iat"], id_token["exp"] = now - 3600, now - 1800
        elif fault == "key":
            key = jwk.JWK.from_pem((settings.STATE / "foreign-key.pem").read_bytes())
        signed = jwt.JWT(header=json.dumps(header), claims=json.dumps(id_token, default=str))
        signed.make_signed_token(key)
        with transaction.atomic():
            saved = self._save_id_token(id_token["jti"], request, expiration_time)
        request.access_token = saved
        request.id_token = saved
        return signed.serialize()
