"""Open311 GeoReport v2: services from themes, requests from reports, JSON and XML."""
