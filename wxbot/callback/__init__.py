"""The follower callback ``/wechat``: verified messages in, replies from the registry out."""
