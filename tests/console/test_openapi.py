"""The OpenAPI schema behind /api/docs: every JSON route documents the shape it returns and its errors."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

SUCCESS = ("200", "201")


def openapi(app: Any) -> dict[str, Any]:
    with TestClient(app) as client:
        resp = client.get(app.openapi_url)
    assert resp.status_code == 200
    schema: dict[str, Any] = resp.json()
    return schema


def success_schema(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    responses = spec["paths"][path][method]["responses"]
    [code] = [c for c in SUCCESS if c in responses]
    body: dict[str, Any] = responses[code]["content"]["application/json"]["schema"]
    return body


def component(spec: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    prefix = "#/components/schemas/"
    assert ref.get("$ref", "").startswith(prefix), ref
    found: dict[str, Any] = spec["components"]["schemas"][ref["$ref"][len(prefix):]]
    return found


def test_representative_routes_have_their_schemas(app_and_rasa: Any) -> None:
    spec = openapi(app_and_rasa[0])

    queue = component(spec, success_schema(spec, "get", "/api/queue"))
    assert set(queue["properties"]) == {"escalations", "agents_online"}
    escalation = component(spec, queue["properties"]["escalations"]["items"])
    assert {"id", "conversation_id", "status", "priority", "position", "agent", "summary", "created_at"} <= set(
        escalation["properties"])
    assert escalation["properties"]["created_at"]["type"] == "string"  # an ISO string, as before

    entry = component(spec, success_schema(spec, "get", "/api/kb/entries/{entry_id}"))
    assert set(entry["properties"]) == {"id", "category", "status", "answers", "variants", "tier_answers", "revision"}

    clusters = component(spec, success_schema(spec, "get", "/api/kb/review/clusters"))
    assert set(clusters["properties"]) == {"counts", "clusters"}
    cluster = component(spec, clusters["properties"]["clusters"]["items"])
    assert {"id", "status", "topic", "count", "examples", "langs", "top_candidates", "resolution"} <= set(
        cluster["properties"])

    dashboard = component(spec, success_schema(spec, "get", "/api/dashboard"))
    assert {"filters", "figures", "escalation_reasons", "escalation_reasons_definition", "decisions", "sentiment",
            "csat", "conversations_trend", "top_clusters", "labels", "nps", "compensation", "channels",
            "languages"} == set(dashboard["properties"])
    figure = component(spec, dashboard["properties"]["figures"]["items"])
    assert {"key", "label", "value", "unit", "definition"} == set(figure["properties"])

    # Optional keys stay optional: a saved entry has publish fields only when a publish ran.
    saved = component(spec, success_schema(spec, "post", "/api/kb/entries"))
    assert saved["required"] == ["entry"]


def test_no_json_route_returns_an_empty_schema(app_and_rasa: Any) -> None:
    spec = openapi(app_and_rasa[0])
    json_routes = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                body = response.get("content", {}).get("application/json")
                if code in SUCCESS and body is not None:
                    json_routes += 1
                    schema = body["schema"]
                    refs = [schema.get("items", schema)] if "anyOf" not in schema else schema["anyOf"]
                    assert all("$ref" in r for r in refs), (method, path, schema)
                    assert all(component(spec, r)["properties"] for r in refs), (method, path)
                elif code in SUCCESS:
                    # Files and the event stream: their own media type, never an empty JSON schema.
                    assert code == "200" and response["content"], (method, path)
                elif (code.startswith("4") and code != "422") or code.startswith("5"):
                    assert body is not None and "Error" in body["schema"]["$ref"], (method, path, code)
    assert json_routes >= 30


def test_errors_are_documented_with_the_error_model(app_and_rasa: Any) -> None:
    spec = openapi(app_and_rasa[0])
    claim = spec["paths"]["/api/escalations/{escalation_id}/claim"]["post"]["responses"]
    assert {"401", "403", "404", "409"} <= set(claim)
    assert component(spec, claim["409"]["content"]["application/json"]["schema"])["properties"] == {
        "detail": {"type": "string", "title": "Detail"}}
    imported = spec["paths"]["/api/kb/import"]["post"]["responses"]["422"]["content"]["application/json"]
    assert "problems" in component(spec, imported["schema"])["properties"]
    assert "503" in spec["paths"]["/api/kb/try"]["post"]["responses"]
