from __future__ import annotations

import pytest
from django.test import override_settings

from accounts.models import User

from ..factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_token_login_with_right_credentials_returns_token_and_user(api_client, doctor):
    response = api_client.post(
        "/api/auth/token/", {"username": "dr-alice", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["user"] == {"id": str(doctor.pk), "username": "dr-alice", "role": "doctor"}
    assert len(body["token"]) >= 40


def test_token_login_with_wrong_password_is_refused_with_json(api_client, doctor):
    response = api_client.post(
        "/api/auth/token/", {"username": "dr-alice", "password": "nope"}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert "token" not in response.json()


def test_token_login_without_fields_names_the_missing_field(api_client):
    response = api_client.post("/api/auth/token/", {"username": "x"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "password" in body["errors"]


def test_token_login_with_malformed_json_is_a_json_400(api_client):
    response = api_client.post(
        "/api/auth/token/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_me_returns_the_signed_in_user(client_for, patient):
    response = client_for(patient).get("/api/me/")
    assert response.status_code == 200
    assert response.json() == {"id": str(patient.pk), "username": "bob", "role": "patient"}


def test_me_without_token_is_401_json(api_client):
    response = api_client.get("/api/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_me_with_a_bad_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api_client.get("/api/me/").status_code == 401


def test_revoked_token_stops_working(client_for, patient):
    client = client_for(patient)
    assert client.delete("/api/auth/token/").status_code == 204
    assert client.get("/api/me/").status_code == 401


def test_unknown_api_path_is_a_json_404(api_client):
    response = api_client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_inactive_user_cannot_sign_in(api_client, patient):
    User.objects.filter(pk=patient.pk).update(is_active=False)
    response = api_client.post(
        "/api/auth/token/", {"username": "bob", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 401


@override_settings(DEBUG=False)
def test_schema_and_docs_are_served(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/auth/token/" in schema.json()["paths"]
    docs = api_client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
