"""Archive search: tokens, indexing, query parsing, ranking, and the issues a query finds.

Plain functions over plain data (no flask, no wechatpy), shared by the callback and the CLI;
what followers read of the results is the callback's (``wxbot.callback.replies``).
"""
