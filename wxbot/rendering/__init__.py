"""Turn an issue into what followers read: the WeChat article HTML, its covers, its preview.

Pure functions over :class:`~wxbot.model.Issue` and the configuration: no Flask, no WeChat
client, so the web service, the CLI and the worker share them.
"""

from .article import ArticleBody, ImageUrl, RenderedArticle, render_article, render_issue

__all__ = ["ArticleBody", "ImageUrl", "RenderedArticle", "render_article", "render_issue"]
