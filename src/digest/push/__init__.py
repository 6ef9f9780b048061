"""Web Push: subscriptions, VAPID keys, the notification payload and the sender."""
