"""Following by email: subscriptions (double opt-in), their signed links, the SMTP mailer, and
`send-alerts`, which sends what is due. Atom feeds (carte/web/feeds.py) need none of this."""
