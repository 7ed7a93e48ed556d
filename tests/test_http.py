"""GraphQL over HTTP: methods, media types and status codes, GraphiQL, error masking,
health and readiness, plugin routes."""

from __future__ import annotations

import logging

import pytest
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from omnigraph import testing
from omnigraph.hookspecs import hookimpl
from omnigraph.settings import Settings
from omnigraph.testing import Harness

GRAPHQL_RESPONSE = "application/graphql-response+json"


async def test_post_and_get_queries(harness: Harness) -> None:
    post = await harness.http.post("/graphql", json={"query": "{ channels { code } }"})
    assert post.status_code == 200
    assert post.headers["content-type"].startswith("application/json")
    assert post.json() == {"data": {"channels": []}}
    get = await harness.http.get("/graphql", params={"query": "{ channels { code } }"})
    assert get.status_code == 200 and get.json() == {"data": {"channels": []}}


async def test_mutations_are_refused_over_get(harness: Harness) -> None:
    response = await harness.http.get(
        "/graphql",
        params={"query": 'mutation { cancelOrder(input: {orderId: "1"}) { order { id } } }'},
    )
    assert response.status_code == 405


async def test_invalid_documents(harness: Harness) -> None:
    plain = await harness.http.post("/graphql", json={"query": "{ nope }"})
    assert plain.status_code == 200
    assert "data" not in plain.json() and plain.json()["errors"][0]["message"].startswith(
        "Cannot query field"
    )
    spec = await harness.http.post(
        "/graphql", json={"query": "{ nope }"}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert spec.status_code == 400
    assert spec.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    ok = await harness.http.post(
        "/graphql", json={"query": "{ channels { code } }"}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert ok.status_code == 200 and ok.headers["content-type"].startswith(GRAPHQL_RESPONSE)


async def test_malformed_requests_are_400(harness: Harness) -> None:
    assert (
        await harness.http.post(
            "/graphql", content=b"{not json", headers={"content-type": "application/json"}
        )
    ).status_code == 400
    assert (await harness.http.post("/graphql", json={"variables": {}})).status_code == 400


async def test_graphiql_in_the_browser(harness: Harness) -> None:
    page = await harness.http.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


async def test_health_and_readiness(harness: Harness) -> None:
    assert (await harness.http.get("/healthz")).json()["status"] == "ok"
    ready = await harness.http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


async def test_readiness_fails_when_the_database_is_unreachable(tmp_path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/missing-dir/none/x.db")
    async with testing.harness(settings, migrate=False) as running:
        response = await running.http.get("/readyz")
    assert response.status_code == 503 and response.json()["status"] == "unavailable"


async def test_unexpected_errors_are_masked_and_logged(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def explode(_services):
        raise RuntimeError("secret connection string in here")

    monkeypatch.setattr("omnigraph.services.queries.list_channels", explode)
    with caplog.at_level(logging.ERROR, logger="omnigraph.api"):
        body = (await harness.http.post("/graphql", json={"query": "{ channels { code } }"})).json()
    assert body["errors"][0]["message"] == "Unexpected error."
    assert "secret" not in str(body)
    assert any(
        "secret connection string" in str(record.exc_info[1])
        for record in caplog.records
        if record.exc_info
    )


async def test_coded_errors_are_not_masked(harness: Harness) -> None:
    body = (
        await harness.http.post(
            "/graphql", json={"query": '{ order(id: "1", number: "OG100001") { id } }'}
        )
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["message"] == "give exactly one of id and number"


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        (
            "query ($n: Int!) { orders(first: $n) { __typename } }",
            {"n": "ten"},
            "Variable '$n' has invalid value: Int cannot represent non-integer value: 'ten'",
        ),
        (
            "query ($n: Int!) { orders(first: $n) { __typename } }",
            {},
            "Variable '$n' has invalid value: Expected a value of non-null type 'Int!'",
        ),
        (
            "query ($d: Date) {"
            " deliveryPromise(input: {lines: [], requestedDate: $d}) { __typename } }",
            {"d": "2026-13-45"},
            "Variable '$d' has invalid value: Value cannot represent a Date",
        ),
    ],
)
async def test_invalid_variable_values_are_told_not_masked(
    harness: Harness,
    caplog: pytest.LogCaptureFixture,
    query: str,
    variables: dict[str, object],
    expected: str,
) -> None:
    with caplog.at_level(logging.ERROR, logger="omnigraph.api"):
        response = await harness.http.post(
            "/graphql", json={"query": query, "variables": variables}
        )
    (error,) = response.json()["errors"]
    assert error["message"].startswith(expected)
    assert not [record for record in caplog.records if record.name == "omnigraph.api"]


class EchoRoutes:
    @hookimpl
    def omnigraph_routes(self, services):
        async def echo(request):
            return PlainTextResponse(
                f"echo {request.path_params['word']} on {services.settings.default_currency}"
            )

        return [Route("/echo/{word}", echo)]


async def test_hook_omnigraph_routes(settings: Settings) -> None:
    async with testing.harness(
        settings, migrate=False, plugins=[("echoer", EchoRoutes())]
    ) as running:
        response = await running.http.get("/plugins/echoer/echo/hello")
    assert response.status_code == 200
    assert response.text == "echo hello on USD"
