"""A small helper object for repeated test steps (as in Flask's tutorial)."""
from __future__ import annotations

TOUR_EIFFEL = (2.2945, 48.8584)  # Paris 7e
BASILIQUE_SAINT_DENIS = (2.3597, 48.9356)  # Saint-Denis
MAIRIE_MONTREUIL = (2.4410, 48.8620)  # Montreuil
VERSAILLES = (2.1301, 48.8049)  # outside the MGP


def report_payload(**overrides) -> dict:
    lon, lat = TOUR_EIFFEL
    payload = {
        "theme": "mobilite",
        "title": "Piste cyclable interrompue",
        "description": "La piste s'arrête net avant le carrefour.",
        "lat": lat,
        "lon": lon,
        "tags": ["vélo", "sécurité"],
        "author_name": "Camille",
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}


class ReportsApi:
    def __init__(self, client):
        self.client = client

    def post(self, **overrides):
        return self.client.post("/api/v1/reports", json=report_payload(**overrides))

    def create(self, **overrides) -> dict:
        response = self.post(**overrides)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def list(self, **params):
        return self.client.get("/api/v1/reports", query_string=params)
