"""Every limit and error code the sandbox enforces, each with the doc page it comes from.

The sandbox keeps its own copy: the client keeps its constants separately, so a wrong
number on either side shows up as a failing test instead of agreeing with itself.
``wechat-platform.md`` (the team's notes) is cited where it is the source.
"""

from __future__ import annotations

DOCS = "https://developers.weixin.qq.com/doc"

# --- access_token -------------------------------------------------------------------------
#: https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html
TOKEN_TTL_SECONDS = 7200
#: A new /token invalidates the previous one after 5 minutes (same page).
TOKEN_GRACE_SECONDS = 300
#: About 2,000 /token fetches a day (same page).
TOKEN_DAILY_LIMIT = 2000
#: https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken
#: "普通模式下平台会提前5分钟更新access_token": a normal call in the last 5 minutes gets a new one.
STABLE_TOKEN_RENEW_BEFORE_SECONDS = 300
#: "强制刷新模式每天限用20次且需间隔30秒" (same page); sooner calls do not refresh.
STABLE_TOKEN_FORCE_REFRESH_PER_DAY = 20
STABLE_TOKEN_FORCE_REFRESH_INTERVAL_SECONDS = 30

# --- material ------------------------------------------------------------------------------
#: https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html
#: "图片（image）: 10M，支持bmp/png/jpeg/jpg/gif格式" and "缩略图（thumb）：64KB，支持JPG格式".
#: Where "10M" and "64KB" are cut (10,000,000 or 10,485,760; 64,000 or 65,536) is not
#: documented, so the sandbox takes the stricter reading: a file it accepts fits either one.
IMAGE_MATERIAL_MAX_BYTES = 10_000_000
IMAGE_MATERIAL_FORMATS = frozenset({"bmp", "png", "jpeg", "gif"})
THUMB_MATERIAL_MAX_BYTES = 64_000
THUMB_MATERIAL_FORMATS = frozenset({"jpeg"})
#: media/uploadimg: jpg/png only, "大小必须在1MB以下" (same page, 上传图文消息内的图片获取URL).
UPLOADIMG_MAX_BYTES = 1024 * 1024  # exclusive: the file must be smaller
UPLOADIMG_FORMATS = frozenset({"jpeg", "png"})
#: Hosts whose images survive in article content (wechat-platform.md, "Images").
WECHAT_IMAGE_HOSTS = frozenset({"mmbiz.qpic.cn"})

# --- drafts --------------------------------------------------------------------------------
#: https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_add
#: Crops are fractions of the thumb_media_id image, (0,0) top left to (1,1) bottom right,
#: written X1_Y1_X2_Y2 with at most 6 decimals (the team's platform notes, "second pass"; the
#: official wording could not be retrieved here — check it against the page above).
CROP_MAX_DECIMALS = 6
TITLE_MAX_CHARS = 32
AUTHOR_MAX_CHARS = 16
DIGEST_MAX_CHARS = 128
#: An empty digest of a single-article draft becomes the body's first 54 characters.
DIGEST_DEFAULT_CHARS = 54
#: "必须少于2万字符，小于1M" — counting tags and attributes; both bounds are exclusive.
CONTENT_MAX_CHARS = 20_000
CONTENT_MAX_BYTES = 1024 * 1024
#: 阅读原文 URL ≤ 1 KB (wechat-platform.md, "Articles").
CONTENT_SOURCE_URL_MAX_BYTES = 1024
#: One draft holds 1 to 8 articles.
ARTICLES_PER_DRAFT_MAX = 8
#: draft/batchget and freepublish/batchget: count between 1 and 20.
BATCHGET_COUNT_MAX = 20
#: The only hyperlinks allowed in a body (wechat-platform.md, "What the article editor strips").
ALLOWED_LINK_HOSTS = frozenset({"mp.weixin.qq.com"})
#: Elements the editor drops (official: script; observed: the others).
STRIPPED_ELEMENTS = frozenset({"script", "style", "iframe", "link", "form"})
#: Attributes the editor drops (observed).
STRIPPED_ATTRIBUTES = frozenset({"class", "id"})

# --- publishing ----------------------------------------------------------------------------
#: https://developers.weixin.qq.com/doc/service/api/public/api_freepublish_get
PUBLISH_SUCCESS = 0
PUBLISH_PUBLISHING = 1
PUBLISH_ORIGINAL_FAILED = 2
PUBLISH_FAILED = 3
PUBLISH_AUDIT_REJECTED = 4
PUBLISH_USER_DELETED = 5
PUBLISH_SYSTEM_BANNED = 6
PUBLISH_STATUSES = frozenset(range(0, 7))

# --- mass send -----------------------------------------------------------------------------
#: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Batch_Sends_and_Originality_Checks.html
CLIENTMSGID_MAX_BYTES = 64
#: The documentation allows 64 bytes, but sends have been refused with 45067 for clientmsgids
#: of 34 and 36 characters (platform notes, second pass); nothing shorter has been reported
#: refused, so the sandbox refuses from the shortest length reported, not from 33.
CLIENTMSGID_REFUSED_FROM = 34
#: A repeated clientmsgid within 24 h is refused with 45065 and the first msg_id.
CLIENTMSGID_DEDUPE_SECONDS = 24 * 3600
#: 45066 "相同 clientmsgid 重试速度过快，请间隔1分钟重试".
CLIENTMSGID_RETRY_INTERVAL_SECONDS = 60
#: "群发接口每分钟限制请求60次，超过限制的请求会被拒绝".
MASS_REQUESTS_PER_MINUTE = 60
#: A verified subscription account: 1 successful mass send per day.
MASS_DAILY_QUOTA_SUBSCRIPTION = 1
#: The platform's day is China Standard Time.
PLATFORM_UTC_OFFSET_SECONDS = 8 * 3600
MASS_STATUSES = ("SEND_SUCCESS", "SENDING", "SEND_FAIL", "DELETE")

# --- custom menu -------------------------------------------------------------------------
#: https://developers.weixin.qq.com/doc/service/api/custommenu/api_createcustommenu
#: "button 一级菜单数组，个数应为1~3个", "sub_button 二级菜单数组，个数应为1~5个";
#: "菜单标题，不超过16个字节，子菜单不超过60个字节"; "菜单KEY值…不超过128字节";
#: "网页链接…不超过1024字节" (older copies of the page say 40 and 256: the current page wins).
MENU_BUTTONS_MAX = 3
MENU_SUB_BUTTONS_MAX = 5
MENU_NAME_MAX_BYTES = 16
MENU_SUB_NAME_MAX_BYTES = 60
MENU_KEY_MAX_BYTES = 128
MENU_URL_MAX_BYTES = 1024

# --- customer-service messages --------------------------------------------------------------
#: https://developers.weixin.qq.com/doc/service/api/customer/message/api_sendcustommessage
#: "开发者可以在一段时间内（目前为48小时）调用客服接口" and the 下发规则 table:
#: 用户发送消息 5条 48小时; 点击自定义菜单 3条 1分钟; 关注公众号 3条 1分钟.
CUSTOM_MESSAGE_RULES: dict[str, tuple[int, float]] = {
    "message": (5, 48 * 3600.0),
    "click": (3, 60.0),
    "subscribe": (3, 60.0),
}
#: Only these menu events open a window ("仅有点击推事件、扫码推事件…会触发客服接口").
CUSTOM_MESSAGE_EVENTS = {"CLICK": "click", "subscribe": "subscribe"}
#: One article per news message since 2018-10-12 (community-reported; more gets 45008).
CUSTOM_NEWS_MAX_ARTICLES = 1
CUSTOM_MESSAGE_TYPES = frozenset({"text", "news", "mpnews", "image", "voice", "video", "music"})

# --- follower callback ---------------------------------------------------------------------
#: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
#: WeChat waits 5 s for an answer and tries 3 times in all.
CALLBACK_TIMEOUT_SECONDS = 5.0
CALLBACK_TRIES = 3
#: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html
ENCODING_AES_KEY_CHARS = 43
AES_BLOCK_BYTES = 32  # WeChat pads with PKCS#7 to 32 bytes, not AES's 16
AES_RANDOM_BYTES = 16
MESSAGE_MODES = ("plaintext", "compatible", "safe")

# --- error codes ---------------------------------------------------------------------------
#: https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html
#: errmsg texts are the platform's own where known.
ERRMSG: dict[int, str] = {
    -1: "system error",
    0: "ok",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40004: "invalid media type",
    40005: "invalid file type",
    40007: "invalid media_id",
    40008: "invalid message type",
    40009: "invalid image size",
    40012: "invalid thumb size",
    40013: "invalid appid",
    40016: "invalid button size",
    40017: "invalid button type",
    40018: "invalid button name size",
    40019: "invalid button key size",
    40020: "invalid button url size",
    40022: "invalid sub_menu level",
    40023: "invalid sub button size",
    40024: "invalid sub button type",
    40025: "invalid sub button name size",
    40026: "invalid sub button key size",
    40027: "invalid sub button url size",
    40050: "invalid group id",
    40054: "invalid sub button url domain",
    40055: "invalid button url domain",
    40059: "invalid msg id",
    40097: "invalid args",
    40125: "invalid appsecret",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41005: "media data missing",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    44002: "empty post data",
    44003: "empty news data",
    45002: "content size out of limit",
    45003: "title size out of limit",
    45004: "description size out of limit",
    45005: "url size out of limit",
    45008: "article size out of limit",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit  mustslower  retry next minute",
    45015: "response out of time limit or subscription is canceled",
    45028: "has no masssend quota",
    45047: "out of response count limit",
    45065: "clientmsgid exist",
    45066: "same clientmsgid retry too fast",
    45067: "clientmsgid size out of limit",
    # Not in the docs we hold: the sandbox's best guess for an over-long author.
    45110: "author size out of limit",
    45166: "invalid content",
    47001: "data format error",
    48001: "api unauthorized",
    # 数据统计 (see :mod:`.datacube`): 日期格式错误, 日期范围错误.
    61500: "date format error",
    61501: "date range error",
    53402: "cover crop failed",
    53600: "Article ID invalid",
}
