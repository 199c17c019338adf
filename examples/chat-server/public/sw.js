// The page's service worker: shows the push notifications the server sends to this browser while
// the user has no live session (the tab is closed or in the background and disconnected).
// The payload is JSON: {title, body, tag, count, data}; `tag` (the conversation) makes a newer
// notification of a conversation replace the older one.

self.addEventListener("push", (event) => {
  let push = {};
  try {
    push = event.data ? event.data.json() : {};
  } catch {
    // Not JSON: still tell the user something arrived.
  }
  event.waitUntil(
    self.registration.showNotification(push.title || "New message", {
      body: push.body || "",
      tag: push.tag,
      data: push.data,
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients
      .matchAll({ type: "window", includeUncontrolled: true })
      .then((windows) => (windows[0] ? windows[0].focus() : self.clients.openWindow("/"))),
  );
});
