"""Reading statistics: collected daily from WeChat's data cube, matched to issues, reported.

:mod:`.collection` fetches and stores days (idempotent, resumable), :mod:`.report` turns the
stored rows into what an editor reads per issue, per topic and for followers, and
:mod:`.chart` draws reads per issue over time as a PNG.
"""
