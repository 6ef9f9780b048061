/* The "notify me" button: shown only where the browser supports Web Push. It registers the
   service worker, subscribes with the server's VAPID key and stores the subscription. */
(function () {
  'use strict';
  const box = document.getElementById('notifications');
  if (!box) {
    return;
  }
  const supported = window.isSecureContext && 'serviceWorker' in navigator &&
    'PushManager' in window && 'Notification' in window;
  if (!supported) {
    return;
  }
  const on = box.querySelector('[data-push="on"]');
  const off = box.querySelector('[data-push="off"]');
  const status = box.querySelector('[data-push="status"]');
  const pushSegments = (box.dataset.segments || '').split(',').filter(Boolean);

  function say(name) {
    status.textContent = box.getAttribute('data-msg-' + name) || '';
  }

  function showState(subscribed) {
    on.hidden = subscribed;
    off.hidden = !subscribed;
  }

  function keyBytes(text) {
    const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
    const raw = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }

  function chosenSegments() {
    const boxes = document.querySelectorAll('input[type=checkbox][name=segments]:checked');
    const chosen = Array.from(boxes, (el) => el.value).filter((s) => pushSegments.includes(s));
    return chosen.length ? chosen : pushSegments;
  }

  function chosenLocale() {
    const select = document.getElementById('f-locale');
    return (select && select.value) || document.documentElement.lang || 'en';
  }

  async function send(method, body) {
    return fetch('/push/subscriptions', {
      method: method,
      headers: {'Content-Type': 'application/json'},
      credentials: 'same-origin',
      body: JSON.stringify(body),
    });
  }

  async function turnOn() {
    on.disabled = true;
    try {
      const permission = await Notification.requestPermission();
      if (permission !== 'granted') {
        say('denied');
        return;
      }
      const registration = await navigator.serviceWorker.register('/sw.js', {scope: '/'});
      await navigator.serviceWorker.ready;
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(box.dataset.vapidKey),
      });
      const body = Object.assign(subscription.toJSON(), {
        segments: chosenSegments(),
        locale: chosenLocale(),
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
      });
      if (box.dataset.preferencesToken) {
        body.preferences_token = box.dataset.preferencesToken;
      }
      const response = await send('POST', body);
      if (response.status === 201) {
        showState(true);
        say('on');
      } else {
        say('failed');
      }
    } catch (err) {
      say('failed');
    } finally {
      on.disabled = false;
    }
  }

  async function turnOff() {
    off.disabled = true;
    try {
      const registration = await navigator.serviceWorker.getRegistration('/');
      const subscription = registration && await registration.pushManager.getSubscription();
      if (subscription) {
        await send('DELETE', {endpoint: subscription.endpoint});
        await subscription.unsubscribe();
      }
      showState(false);
      say('off');
    } catch (err) {
      say('failed');
    } finally {
      off.disabled = false;
    }
  }

  box.hidden = false;
  on.addEventListener('click', turnOn);
  off.addEventListener('click', turnOff);
  navigator.serviceWorker.getRegistration('/').then(async (registration) => {
    const subscription = registration && await registration.pushManager.getSubscription();
    showState(Boolean(subscription));
  }).catch(() => showState(false));
})();
