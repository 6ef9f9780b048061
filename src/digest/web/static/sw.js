/* digest service worker: shows a digest notification and opens its edition when clicked.
   Served from /sw.js with no external assets. */
'use strict';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  let data = {};
  if (event.data) {
    try {
      data = event.data.json();
    } catch (err) {
      data = {title: event.data.text()};
    }
  }
  const options = {
    body: data.body || '',
    icon: data.icon,
    badge: data.badge,
    lang: data.lang || '',
    dir: data.dir || 'auto',
    tag: data.tag || 'digest',
    renotify: false,
    data: data.data || {},
    actions: Array.isArray(data.actions) ? data.actions : [],
  };
  event.waitUntil(self.registration.showNotification(data.title || '', options));
});

function ownUrl(url) {
  try {
    const parsed = new URL(url, self.location.origin);
    return parsed.origin === self.location.origin ? parsed.href : null;
  } catch (err) {
    return null;
  }
}

async function openPage(url) {
  const windows = await self.clients.matchAll({type: 'window', includeUncontrolled: true});
  for (const client of windows) {
    if (client.url === url && 'focus' in client) {
      return client.focus();
    }
  }
  try {
    const opened = await self.clients.openWindow(url);
    if (opened) {
      return opened;
    }
  } catch (err) {
    /* no window may be opened here: show the page in one of ours instead */
  }
  for (const client of windows) {
    if ('navigate' in client) {
      try {
        return await client.navigate(url);
      } catch (err) {
        /* not controlled by this worker: try the next one */
      }
    }
  }
  return null;
}

self.addEventListener('notificationclick', (event) => {
  const data = event.notification.data || {};
  event.notification.close();
  const target = ownUrl(event.action === 'preferences' ? data.preferences : data.url);
  if (target) {
    event.waitUntil(openPage(target));
  }
});

async function serverKey() {
  const response = await fetch('/push/key', {credentials: 'omit'});
  const body = await response.json();
  const base64 = body.publicKey.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

self.addEventListener('pushsubscriptionchange', (event) => {
  event.waitUntil((async () => {
    const old = event.oldSubscription;
    let fresh = event.newSubscription;
    if (!fresh) {
      const key = (old && old.options && old.options.applicationServerKey) || await serverKey();
      fresh = await self.registration.pushManager.subscribe(
        {userVisibleOnly: true, applicationServerKey: key});
    }
    const body = Object.assign(fresh.toJSON(), {replaces: old ? old.endpoint : null});
    await fetch('/push/subscriptions', {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      credentials: 'omit',
      body: JSON.stringify(body),
    });
  })());
});
