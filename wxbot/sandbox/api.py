"""The simulated ``/cgi-bin`` endpoints and the checks every call goes through."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import custom_messages, datacube, drafts, mass, material, menus, publish, tokens
from .protocol import ApiError, Call, Reply

if TYPE_CHECKING:
    from .account import Account


@dataclass(frozen=True)
class Endpoint:
    """One API: the HTTP method it requires, its handler, whether it needs an access_token."""

    method: str
    handler: Callable[[Account, Call], Reply]
    needs_token: bool = True


ENDPOINTS: dict[str, Endpoint] = {
    "token": Endpoint("GET", tokens.get_token, needs_token=False),
    "stable_token": Endpoint("POST", tokens.get_stable_token, needs_token=False),
    "material/add_material": Endpoint("POST", material.add_material),
    "media/uploadimg": Endpoint("POST", material.upload_image),
    "draft/add": Endpoint("POST", drafts.add_draft),
    "draft/get": Endpoint("POST", drafts.get_draft),
    "draft/update": Endpoint("POST", drafts.update_draft),
    "draft/delete": Endpoint("POST", drafts.delete_draft),
    "draft/batchget": Endpoint("POST", drafts.batchget_drafts),
    "draft/count": Endpoint("GET", drafts.count_drafts),
    "freepublish/submit": Endpoint("POST", publish.submit),
    "freepublish/get": Endpoint("POST", publish.get_status),
    "freepublish/batchget": Endpoint("POST", publish.batchget),
    "freepublish/getarticle": Endpoint("POST", publish.get_article),
    "freepublish/delete": Endpoint("POST", publish.delete),
    "message/mass/sendall": Endpoint("POST", mass.sendall),
    "message/mass/preview": Endpoint("POST", mass.preview),
    "message/mass/get": Endpoint("POST", mass.get_status),
    "message/mass/delete": Endpoint("POST", mass.delete),
    "message/custom/send": Endpoint("POST", custom_messages.send),
    "menu/create": Endpoint("POST", menus.create_menu),
    "get_current_selfmenu_info": Endpoint("GET", menus.get_current_selfmenu_info),
    "menu/delete": Endpoint("GET", menus.delete_menu),
    "datacube/getarticlesummary": Endpoint("POST", datacube.get_article_summary),
    "datacube/getarticletotal": Endpoint("POST", datacube.get_article_total),
    "datacube/getusersummary": Endpoint("POST", datacube.get_user_summary),
    "datacube/getusercumulate": Endpoint("POST", datacube.get_user_cumulate),
}


def dispatch(account: Account, call: Call) -> Reply:
    """Answer one call: complete due jobs, check method and token, then run the endpoint."""
    endpoint = ENDPOINTS.get(call.name)
    if endpoint is None:
        return Reply(ApiError(48001, f"/cgi-bin/{call.name} is not simulated").body())
    with account.lock:
        account.tick()
        try:
            if call.method != endpoint.method:
                raise ApiError(43001 if endpoint.method == "GET" else 43002)
            if endpoint.needs_token:
                tokens.check_access_token(account, call.query.get("access_token"))
            return endpoint.handler(account, call)
        except ApiError as exc:
            return Reply(exc.body())
