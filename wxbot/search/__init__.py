"""Archive search: tokens, indexing, query parsing, ranking and the answers followers get.

Plain functions over plain data (no flask, no wechatpy), shared by the callback and the CLI.
"""
