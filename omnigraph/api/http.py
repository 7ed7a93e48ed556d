"""GraphQL over HTTP and WebSocket at one path, following the GraphQL-over-HTTP spec."""

from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult

from omnigraph.api.context import Context
from omnigraph.api.dataloaders import Loaders
from omnigraph.api.schema import build_schema
from omnigraph.db import json_text
from omnigraph.services.core import Services

GRAPHQL_RESPONSE = "application/graphql-response+json"
ACTOR_HEADER = "x-omnigraph-actor"


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI app with a typed context and spec-conformant status codes.

    A client that accepts ``application/graphql-response+json`` gets that media type and a
    400 for requests that never reached execution (unparseable or invalid documents);
    ``application/json`` clients get 200 with the errors in the body, as the spec asks.
    """

    def __init__(self, services: Services, **kwargs: Any) -> None:
        super().__init__(build_schema(), **kwargs)
        self.services = services

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        actor = request.headers.get(ACTOR_HEADER) or "api"
        return Context(
            services=self.services,
            loaders=Loaders(self.services.db, self.services.catalog),
            request=request,
            response=response,
            actor=actor[:120],
        )

    def decode_json(self, data: str | bytes) -> object:
        return json_text.loads(data)

    def encode_json(self, data: object) -> str:
        # Text, not bytes: strawberry sends bytes over a WebSocket as binary frames, which
        # graphql-ws clients in browsers refuse.
        return json_text.dumps(data)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        accept = request.headers.get("accept", "")
        if GRAPHQL_RESPONSE in accept:
            sub_response.headers["content-type"] = GRAPHQL_RESPONSE
        return sub_response

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        try:
            return await super().execute_single(*args, **kwargs)
        except HTTPException as error:
            # The spec asks for 405 when a mutation arrives over GET; strawberry says 400.
            if isinstance(error.__cause__, InvalidOperationTypeError):
                raise HTTPException(405, error.reason) from error
            raise

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        # Errors without a path come from parsing or validation: the request never ran,
        # so the spec says the response has no "data" entry at all.
        if (
            result.data is None
            and result.errors
            and all(error.path is None for error in result.errors)
        ):
            response.pop("data", None)
        return response

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        wants_graphql_response = sub_response.headers.get("content-type") == GRAPHQL_RESPONSE
        response = super().create_response(response_data, sub_response)
        if wants_graphql_response:
            response.headers["content-type"] = GRAPHQL_RESPONSE
            if isinstance(response_data, dict) and "data" not in response_data:
                response.status_code = 400
        return response
