"""Transports: the outbox, SMTP and SendGrid, each implementing ``base.Transport``.

The consumer owns the interface (``base``); ``factory.make_transport`` builds the configured
one for the composition root.
"""
