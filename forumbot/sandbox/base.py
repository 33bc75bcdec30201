"""The parts of one sandbox: its state (state.py) with the gateway, the REST API and the
interactions endpoint built on it. Each part is handed the state and the parts it calls, so
nothing below imports this module; the harness mixins (building, acting, invoking) build on it."""

from __future__ import annotations

from .endpoint import InteractionsEndpoint
from .gateway import Gateway
from .records import InteractionRecord
from .rest import RestApi
from .state import DEFAULT_TOKEN, SandboxState
from .world import Json


class SandboxBase(SandboxState):
    """A sandbox's state and its three servers; see `Sandbox` for the harness."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = DEFAULT_TOKEN,
        bot_name: str = "forumbot",
    ) -> None:
        super().__init__(host=host, port=port, token=token, bot_name=bot_name)
        self.gateway = Gateway(self)
        self.endpoint = InteractionsEndpoint(self, accept=self._accept_endpoint_answer)
        self.rest = RestApi(self, self.gateway, self.endpoint)

    def _accept_endpoint_answer(self, record: InteractionRecord, body: Json) -> None:
        """The app answered an interaction in its HTTP response: the same checks, limits and
        effects as an answer through the callback route."""
        self.rest.apply_initial_response(record, body, via="http")

    @property
    def verify_key(self) -> str:
        """Hex Ed25519 public key of the application: interactions POSTed to the interactions
        endpoint are signed with its private half."""
        return self.endpoint.verify_key

    @property
    def interactions_endpoint_url(self) -> str | None:
        return self.endpoint.url

    async def set_interactions_endpoint(self, url: str | None) -> None:
        """Deliver interactions by HTTP POST to `url` instead of the gateway, after validating
        the endpoint as Discord does (a signed PING must get 200 {"type": 1}, wrongly signed
        PINGs must get 401). Raises ValueError, keeping the previous setting, when validation
        fails. None switches back to the gateway."""
        await self.endpoint.set_url(url)

    def _dispatch_if_connected(self, event: str, data: Json) -> None:
        if self.gateway.sessions:
            self.gateway.dispatch(event, data)
