"""WeChat API limits the client obeys, beyond the article limits of :mod:`wxbot.platform_limits`.

Each constant names the doc page it comes from; when the live platform disagrees, change it here.
"""

from __future__ import annotations

from .. import platform_limits

#: An access_token lives up to 7200 s.
#: https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html
TOKEN_TTL_SECONDS = 7200

#: Refresh the shared token this long before it expires. It must stay under the 5 minutes in
#: which ``stable_token`` starts handing out the next token ("普通模式下平台会提前5分钟更新"),
#: or a refresh would get the same, soon-expiring token back.
#: https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken
TOKEN_REFRESH_MARGIN_SECONDS = 120

#: Permanent image material: at most 10 MB, bmp/png/jpeg/gif (``platform_limits`` holds them).
IMAGE_MATERIAL_MAX_BYTES = platform_limits.IMAGE_MATERIAL_MAX_BYTES
IMAGE_MATERIAL_FORMATS = platform_limits.IMAGE_MATERIAL_FORMATS

#: Thumb material is JPG only (its size limit is ``platform_limits.THUMB_MAX_BYTES``).
THUMB_MATERIAL_FORMATS = ("jpeg",)

#: ``clientmsgid`` of ``message/mass/sendall``: documented as at most 64 bytes, but refused
#: with 45067 in the field at 34 and 36 characters, so wxbot makes none longer than 32. A
#: repeat within 24 h is refused with 45065 and the first msg_id; a repeat within a minute
#: gets 45066 (errcodes: :mod:`wxbot.wechat.errors`).
#: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Batch_Sends_and_Originality_Checks.html
CLIENTMSGID_MAX_BYTES = 32
#: Seconds to wait before repeating a sendall with the same clientmsgid: "相同 clientmsgid
#: 重试速度过快，请间隔1分钟重试" (45066), plus a margin for the two clocks.
CLIENTMSGID_RETRY_AFTER = 65.0

#: ``freepublish/batchget`` and ``draft/batchget``: ``count`` between 1 and 20.
#: https://developers.weixin.qq.com/doc/offiaccount/Publish/Get_publication_records.html
BATCHGET_COUNT_MAX = 20

#: ``freepublish/get`` publish_status values.
#: https://developers.weixin.qq.com/doc/offiaccount/Publish/Get_status.html
PUBLISH_SUCCESS = 0
PUBLISH_PUBLISHING = 1
PUBLISH_STATUS_TEXT: dict[int, str] = {
    0: "published",
    1: "still publishing",
    2: "refused: the originality (原创) check failed",
    3: "failed (常规失败)",
    4: "refused by the platform's review (平台审核不通过)",
    5: "published, then every article was deleted by the account",
    6: "published, then every article was banned by the platform (系统封禁)",
}

#: ``message/mass/get`` msg_status values.
#: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Batch_Sends_and_Originality_Checks.html
MASS_STATUSES = ("SEND_SUCCESS", "SENDING", "SEND_FAIL", "DELETE")

#: Customer-service messages (``message/custom/send``) may follow a follower's message for
#: 48 hours ("开发者可以在一段时间内（目前为48小时）调用客服接口"), 5 of them; a menu click or
#: a subscribe opens 1 minute for 3. A news message carries one article (since 2018).
#: https://developers.weixin.qq.com/doc/service/api/customer/message/api_sendcustommessage
CUSTOM_MESSAGE_WINDOW_SECONDS = 48 * 3600
CUSTOM_MESSAGE_EVENT_WINDOW_SECONDS = 60
CUSTOM_NEWS_MAX_ARTICLES = 1
